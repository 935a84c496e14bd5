"""The frameworks the end-to-end suite runs (test_frameworks.py) and that the Swift mapping
fixtures are captured from (frameworks/capture.py): which venv, which app, which settings."""
import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APPS = ROOT / "Tests" / "e2e" / "frameworks"


@dataclass
class Framework:
    venv: str
    env: dict = field(default_factory=dict)   # None: the variable unset; {traces_url} filled in
    cost_source: str = "prices"
    agent: bool = False                        # has an agent row named "capitals"
    app: str | None = None

    @property
    def python(self) -> Path:
        return ROOT / ".venv-frameworks" / self.venv / "bin" / "python"

    @property
    def script(self) -> Path:
        return APPS / f"{self.app or self.venv}_app.py"


FRAMEWORKS = {
    "openllmetry": Framework("openllmetry", {"INGATE_INSTRUMENTOR": "openllmetry"}, app="instrumentor"),
    "openinference": Framework("openinference", {"INGATE_INSTRUMENTOR": "openinference"}, app="instrumentor"),
    "pydantic-ai": Framework("pydanticai", cost_source="reported", agent=True),
    "strands": Framework("strands", agent=True),
    "litellm": Framework("litellm", cost_source="reported"),
    "openai-agents": Framework("agents", agent=True),
    "langsmith": Framework("langsmith", {"LANGSMITH_TRACING": "true", "LANGSMITH_TRACING_MODE": "otel"}),
    # MLflow sends metrics too where OTEL_EXPORTER_OTLP_ENDPOINT is set (404 here): the README
    # tells its users to set the traces endpoint alone.
    "mlflow": Framework("mlflow", {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "{traces_url}", "OTEL_EXPORTER_OTLP_ENDPOINT": None}),
    "adk": Framework("adk", {"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "SPAN_ONLY"}, agent=True),
    "adk-schema-1": Framework("adk", {"ADK_TELEMETRY_SCHEMA_VERSION_OPT_IN": "1"}, agent=True, app="adk"),
}

# Nothing leaves the machine: a request to anywhere but loopback meets a closed port.
OFFLINE = {"HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9", "ALL_PROXY": "http://127.0.0.1:9",
           "NO_PROXY": "127.0.0.1,localhost", "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HF_HUB_OFFLINE": "1",
           "DO_NOT_TRACK": "1"}


def app_env(framework: Framework, base: dict, traces_url: str, service: str) -> dict:
    """`base` (the exporter settings) with the framework's own, each library as its users get it
    by default (no semantic-convention opt-in)."""
    env = dict(base, OTEL_SERVICE_NAME=service, **OFFLINE)
    env.pop("OTEL_SEMCONV_STABILITY_OPT_IN", None)
    for variable, value in framework.env.items():
        if value is None:
            env.pop(variable, None)
        else:
            env[variable] = value.format(traces_url=traces_url)
    return env
