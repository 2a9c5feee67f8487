"""The framework's ceiling: a bare Flask "hello world", served like the app."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello() -> str:
    return "Hello, World!"
