# The doubler as a Python kernel, for bench/bench-lines:
#   ringctl run python --param file=bench/pydouble.py
def process(msg): return {"result": msg["value"] * 2}
