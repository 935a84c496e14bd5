import sys
import mlflow
from openai import OpenAI
from common import INSTRUCTIONS, QUESTION

# OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (set by the caller) makes MLflow export its traces over OTLP,
# in its own span format, instead of to a tracking server.
mlflow.openai.autolog()
client = OpenAI(base_url=sys.argv[1], api_key="sk-fake")
with mlflow.start_span("handle question") as root:
    answer = client.chat.completions.create(model="gpt-4o-mini", messages=[
        {"role": "system", "content": INSTRUCTIONS}, {"role": "user", "content": QUESTION}])
    assert answer.choices[0].message.content == "Paris."
    print(root.trace_id.removeprefix("tr-"), flush=True)   # MLflow's trace id is the OTel one
