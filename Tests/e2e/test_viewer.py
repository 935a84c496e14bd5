"""The viewer at /ui/ in a real browser: Debian's Chromium, headless, driven by Selenium through
Debian's chromedriver, against the stack `make run` starts, with calls sent by the real exporter.
Screenshots of every page go to test-artifacts/screenshots/ (not committed)."""
import http.server
import json
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.expected_conditions import staleness_of
from selenium.webdriver.support.wait import WebDriverWait

from conftest import ROOT
from spans import chat_attributes, make_spans

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"


class Witness:
    """A server on another origin that the hostile prompt points at: any request it gets is a leak."""

    def __init__(self):
        self.hits: list[str] = []
        witness = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                witness.hits.append(self.path)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def hostile_prompt(witness: Witness) -> str:
    return (f'<script>alert(1);fetch("{witness.url}/script")</script> <img src="{witness.url}/img" onerror="alert(2)"> '
            f'<a href="javascript:alert(3)">click</a> </textarea><textarea> "><svg onload=alert(4)> '
            f'<link rel="stylesheet" href="{witness.url}/css"> <iframe src="{witness.url}/frame"></iframe>')


def send_calls(stack, service: str, hostile: str) -> list:
    """One trace through the real OTLP/HTTP exporter: an HTTP root span and 60 chat calls, the
    last with the hostile prompt; all started a minute ago, so they fall in the last 24 hours."""
    start = time.time_ns() - 60_000_000_000
    specs = [("POST /chat", {"http.request.method": "POST"}, 2_000_000_000)]
    for n in range(59):
        specs.append((f"chat {n}", {**chat_attributes(n), "gen_ai.request.model": "gpt-4o" if n % 2 else "gpt-4o-mini",
                                    "gen_ai.input.messages": json.dumps([{"role": "user", "parts": [{"type": "text", "content": f"question {n}"}]}]),
                                    "gen_ai.output.messages": json.dumps([{"role": "assistant", "finish_reason": "stop",
                                                                           "parts": [{"type": "text", "content": f"answer {n}"}]}])},
                      1_000_000 * (n + 1)))
    specs.append(("chat hostile", {**chat_attributes(99), "gen_ai.input.messages": json.dumps(
        [{"role": "system", "parts": [{"type": "text", "content": "Be helpful."}]},
         {"role": "user", "parts": [{"type": "text", "content": hostile}]}]),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "finish_reason": "tool_call", "parts": [
            {"type": "tool_call", "id": "call_1", "name": "lookup", "arguments": {"q": "</pre><script>alert(5)</script>"}}]}])},
        7_000_000))
    spans = make_spans(specs, service=service, start_ns=start)
    exporter = OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": stack.key}, certificate_file=stack.cert)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    exporter.shutdown()
    return spans


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,1600",
                     "--no-first-run", "--disable-background-networking", "--disable-sync", "--disable-extensions"):
        options.add_argument(argument)
    options.accept_insecure_certs = True   # the development certificate of `make run`
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def shoot(browser, name: str):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def console_errors(browser) -> list:
    return [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "ERROR")]


def assert_no_alert(browser):
    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text


def sign_in(browser, stack, key: str):
    browser.get(f"{stack.url}/ui/")
    assert browser.current_url.endswith("/ui/login")
    field = browser.find_element(By.ID, "key")
    field.send_keys(key)
    field.send_keys(Keys.ENTER)   # the keyboard alone signs in
    WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/ui/") or b.find_elements(By.CSS_SELECTOR, "[role=alert]"))


def test_the_viewer_in_chromium(stack, browser):
    witness = Witness()
    try:
        service = "viewer-" + uuid.uuid4().hex[:8]
        send_calls(stack, service, hostile_prompt(witness))
        reader = stack.cli("keys", "create", "--name", "browser", "--scope", "read")
        assert reader.returncode == 0, reader.stderr
        read_key = reader.stdout.strip().splitlines()[-1]
        browser.get_log("browser")   # start with an empty console

        # An application's ingest key cannot sign in.
        sign_in(browser, stack, stack.key)
        assert "may not read" in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
        assert browser.get_cookie("ingate_session") is None
        shoot(browser, "0-ingest-key-refused")
        # The refusal is a 403 page, which Chromium's console reports as a failed load: that one is meant.
        assert [e for e in console_errors(browser) if "status of 403" not in e["message"]] == []

        sign_in(browser, stack, read_key)
        assert browser.current_url.endswith("/ui/")
        cookie = browser.get_cookie("ingate_session")
        assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Strict" and "expiry" in cookie
        shoot(browser, "1-calls")

        # Filter to this test's calls: 60, newest first, 50 a page.
        browser.find_element(By.NAME, "service").send_keys(service)
        browser.find_element(By.CSS_SELECTOR, "form.filters button").click()
        WebDriverWait(browser, 10).until(lambda b: "service=" in b.current_url)
        rows = browser.find_elements(By.CSS_SELECTOR, "tbody tr")
        assert len(rows) == 50
        assert all(service in row.text for row in rows)
        older = browser.find_element(By.CSS_SELECTOR, "a[rel=next]")
        older.click()
        WebDriverWait(browser, 10).until(lambda b: "after=" in b.current_url)
        assert len(browser.find_elements(By.CSS_SELECTOR, "tbody tr")) == 10
        assert browser.find_elements(By.CSS_SELECTOR, "a[rel=next]") == []
        shoot(browser, "2-calls-page-2")

        # Filter by model.
        browser.get(f"{stack.url}/ui/?service={service}&model=gpt-4o-mini")
        models = [row.find_elements(By.TAG_NAME, "td")[3].text for row in browser.find_elements(By.CSS_SELECTOR, "tbody tr")]
        assert models and set(models) == {"gpt-4o-mini"} and len(models) == 30

        # The hostile call, found by text search, opened: shown as text, nothing runs or loads.
        browser.get(f"{stack.url}/ui/?service={service}&q=textarea")
        links = browser.find_elements(By.CSS_SELECTOR, "tbody tr a")
        assert len(links) == 1
        links[0].click()
        WebDriverWait(browser, 10).until(lambda b: "/ui/call/" in b.current_url)
        assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Call ")
        prompt = browser.find_element(By.CSS_SELECTOR, "article.role-user pre").text
        assert prompt == hostile_prompt(witness)
        assert "Be helpful." in browser.find_element(By.CSS_SELECTOR, "article.role-system").text
        assert "</pre><script>alert(5)</script>" in browser.find_element(By.CSS_SELECTOR, ".tool-call pre").text
        assert "Finish reason: tool_call" in browser.page_source
        tree = browser.find_element(By.CSS_SELECTOR, "ul.trace")
        assert len(tree.find_elements(By.TAG_NAME, "li")) == 60
        assert browser.find_element(By.CSS_SELECTOR, "li.current").text.startswith("chat gpt-4o")
        assert browser.find_elements(By.TAG_NAME, "script") == [] and browser.find_elements(By.TAG_NAME, "iframe") == []
        assert_no_alert(browser)
        shoot(browser, "3-call")

        # Usage: the chart and the table, with this test's 60 calls in today's figures.
        browser.get(f"{stack.url}/ui/usage?days=7")
        assert len(browser.find_elements(By.CSS_SELECTOR, "svg.chart rect")) == 14
        days = browser.find_elements(By.XPATH, "//section[h2='Per day']//tbody/tr")
        assert days and int(days[-1].find_elements(By.TAG_NAME, "td")[0].text) >= 60
        shoot(browser, "4-usage")

        # A time zone of the user's choice, UTC on hover.
        # The field already reads Asia/Tokyo before the form is sent, so wait for the old page to go
        # first; the new one may itself be replaced while it is read.
        zone = browser.find_element(By.ID, "tz")
        zone.clear()
        zone.send_keys("Asia/Tokyo" + Keys.ENTER)
        WebDriverWait(browser, 10).until(staleness_of(zone))
        WebDriverWait(browser, 10, ignored_exceptions=(StaleElementReferenceException,)).until(
            lambda b: b.find_element(By.ID, "tz").get_attribute("value") == "Asia/Tokyo"
            and b.current_url.endswith("/ui/usage?days=7"))
        browser.get(f"{stack.url}/ui/?service={service}")
        shown = browser.find_element(By.CSS_SELECTOR, "tbody time")
        assert shown.text.endswith("Asia/Tokyo") and shown.get_attribute("title").endswith("UTC")

        assert console_errors(browser) == []
        assert_no_alert(browser)
        assert witness.hits == []

        # Sign out: the session ends on the server, not only in this browser.
        session = browser.get_cookie("ingate_session")["value"]
        browser.find_element(By.CSS_SELECTOR, "header form button").click()
        WebDriverWait(browser, 10).until(lambda b: b.current_url.endswith("/ui/login"))
        shoot(browser, "5-signed-out")
        replay = requests.get(f"{stack.url}/ui/", cookies={"ingate_session": session}, verify=stack.cert, allow_redirects=False)
        assert replay.status_code == 303 and replay.headers["Location"] == "/ui/login"
    finally:
        witness.close()


def test_pages_carry_a_strict_policy_and_refuse_forms_without_their_token(stack):
    login = requests.get(f"{stack.url}/ui/login", verify=stack.cert)
    assert login.status_code == 200
    policy = login.headers["Content-Security-Policy"]
    assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
    assert login.headers["X-Content-Type-Options"] == "nosniff" and login.headers["Referrer-Policy"] == "no-referrer"
    # A sign-in posted from elsewhere has no matching token: refused before the key is looked at.
    forged = requests.post(f"{stack.url}/ui/login", data={"key": stack.key, "csrf": "0" * 64}, verify=stack.cert,
                           allow_redirects=False)
    assert forged.status_code == 403 and "ingate_session" not in forged.cookies
    reader = stack.cli("keys", "create", "--name", "csrf", "--scope", "read")
    read_key = reader.stdout.strip().splitlines()[-1]
    with requests.Session() as browser:
        page = browser.get(f"{stack.url}/ui/login", verify=stack.cert)
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = browser.post(f"{stack.url}/ui/login", data={"key": read_key, "csrf": token}, verify=stack.cert,
                              allow_redirects=False)
        assert signed.status_code == 303
        session = signed.cookies["ingate_session"]
        assert browser.get(f"{stack.url}/ui/", verify=stack.cert, allow_redirects=False).status_code == 200
        # Sign-out without the session's token does nothing.
        refused = browser.post(f"{stack.url}/ui/logout", data={"csrf": "x"}, verify=stack.cert, allow_redirects=False)
        assert refused.status_code == 403
        assert browser.get(f"{stack.url}/ui/", verify=stack.cert, allow_redirects=False).status_code == 200
    # A revoked read key ends its sessions at once.
    key_id = next(line.split()[0] for line in stack.cli("keys", "list").stdout.splitlines() if " csrf " in f" {line} ")
    assert stack.cli("keys", "revoke", key_id).returncode == 0
    after = requests.get(f"{stack.url}/ui/", cookies={"ingate_session": session}, verify=stack.cert, allow_redirects=False)
    assert after.status_code == 303


def test_a_read_key_cannot_ingest_and_sees_only_the_keys_it_was_made_for(stack):
    reader = stack.cli("keys", "create", "--name", "reader", "--scope", "read")
    read_key = reader.stdout.strip().splitlines()[-1]
    refused = requests.post(stack.traces_url, data=b"", headers={"X-Ingate-Key": read_key, "Content-Type": "application/x-protobuf"},
                            verify=stack.cert)
    assert refused.status_code == 403
    unknown = requests.post(stack.traces_url, data=b"", headers={"X-Ingate-Key": "sk-ingate-" + "x" * 40,
                                                                 "Content-Type": "application/x-protobuf"}, verify=stack.cert)
    assert unknown.status_code == 401

    other = stack.cli("keys", "create", "--name", "other-app").stdout.strip().splitlines()[-1]
    other_id = stack.cli("keys", "list").stdout.strip().splitlines()[-1].split()[0]
    service = "scoped-" + uuid.uuid4().hex[:8]
    spans = make_spans([("chat scoped", chat_attributes(1), 1_000_000)], service=service, start_ns=time.time_ns() - 10**9)
    exporter = OTLPSpanExporter(endpoint=stack.traces_url, headers={"X-Ingate-Key": other}, certificate_file=stack.cert)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    limited = stack.cli("keys", "create", "--name", "limited", "--scope", "read", "--for", "1").stdout.strip().splitlines()[-1]
    everyone = stack.cli("keys", "create", "--name", "everyone", "--scope", "read").stdout.strip().splitlines()[-1]

    def visible(key: str) -> int:
        with requests.Session() as browser:
            page = browser.get(f"{stack.url}/ui/login", verify=stack.cert)
            token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            assert browser.post(f"{stack.url}/ui/login", data={"key": key, "csrf": token}, verify=stack.cert,
                                allow_redirects=False).status_code == 303
            calls = browser.get(f"{stack.url}/ui/", params={"service": service}, verify=stack.cert)
            assert calls.status_code == 200
            return calls.text.count("/ui/call/")

    assert visible(everyone) == 1
    assert visible(limited) == 0, f"key for 1 only sees key {other_id}'s call"
