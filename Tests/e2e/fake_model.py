"""A local stand-in for a model vendor's API: OpenAI chat completions (plain and streamed) and
responses, always answering "Paris." with 21 input and 3 output tokens. The real client
libraries and frameworks call it, so their instrumentation records real calls."""
import json
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "gpt-4o-mini-2024-07-18"
ANSWER = "Paris."
USAGE = {"prompt_tokens": 21, "completion_tokens": 3, "total_tokens": 24}

COMPLETION = {
    "id": "chatcmpl-e2e", "object": "chat.completion", "created": 1764000000, "model": MODEL,
    "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
    "usage": USAGE,
}

RESPONSE = {
    "id": "resp_e2e", "object": "response", "created_at": 1764000000, "status": "completed", "model": MODEL,
    "output": [{"type": "message", "id": "msg_e2e", "status": "completed", "role": "assistant",
                "content": [{"type": "output_text", "text": ANSWER, "annotations": []}]}],
    "usage": {"input_tokens": 21, "output_tokens": 3, "total_tokens": 24,
              "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}},
    "parallel_tool_calls": True, "tool_choice": "auto", "tools": [],
}


class FakeModel(BaseHTTPRequestHandler):
    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if request.get("stream"):
            return self._stream()
        body = json.dumps(RESPONSE if self.path.endswith("/responses") else COMPLETION).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _stream(self):
        chunk = {"id": "chatcmpl-e2e", "object": "chat.completion.chunk", "created": 1764000000, "model": MODEL,
                 "choices": [{"index": 0, "delta": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}]}
        usage = dict(chunk, choices=[], usage=USAGE)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for event in (chunk, usage):
            self.wfile.write(b"data: " + json.dumps(event).encode() + b"\n\n")
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@contextmanager
def fake_model_server():
    """Serves on a free 127.0.0.1 port; yields the OpenAI-style base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeModel)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


if __name__ == "__main__":
    with fake_model_server() as url:
        print(url, flush=True)
        sys.stdin.read()
