"""A real uvicorn server on a free loopback port in a thread, for the tests that talk HTTP to our apps."""
import contextlib
import threading
import time


@contextlib.contextmanager
def uvicorn_thread(app, log_level: str = "warning", timeout_s: float = 30):
    """`with uvicorn_thread(app) as port:` the app answers on http://127.0.0.1:port until the block ends."""
    import uvicorn

    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level=log_level))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.time() + timeout_s
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    assert srv.started, f"uvicorn did not start within {timeout_s} s"
    try:
        yield srv.servers[0].sockets[0].getsockname()[1]
    finally:
        srv.should_exit = True
        thread.join(10)
