"""Fixtures for the DEM tests: a small grid across geocell seams and local HTTP servers."""

from __future__ import annotations

import contextlib
import functools
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest
from osgeo import osr

from sen2cor.dem.grid import TileGrid

#: UTM 31N grid of 100 x 100 pixels of 60 m centred on (5 E, 50 N): it straddles the SRTM 5x5
#: seams (5 E, 50 N), the 1-degree seams of Copernicus/DTED and their spacing change at 50 N.
SEAM_LON, SEAM_LAT = 5.0, 50.0


def seam_grid(pixel_m: float = 60.0, size: int = 100) -> TileGrid:
    wgs84, utm = osr.SpatialReference(), osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    utm.ImportFromEPSG(32631)
    for srs in (wgs84, utm):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y, _ = osr.CoordinateTransformation(wgs84, utm).TransformPoint(SEAM_LON, SEAM_LAT)
    half = pixel_m * size / 2
    return TileGrid(
        32631,
        round((x - half) / pixel_m) * pixel_m,
        round((y + half) / pixel_m) * pixel_m,
        pixel_m,
        size,
        size,
    )


def plane(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Steep linear terrain: 3000 m per degree east, 2000 m per degree north (a half-pixel error
    of a 3-arcsecond DEM shows as >= 3 m)."""
    return 1000.0 + 3000.0 * (np.asarray(lon) - SEAM_LON) + 2000.0 * (np.asarray(lat) - SEAM_LAT)


@pytest.fixture
def grid() -> TileGrid:
    return seam_grid()


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder; ``server.mode`` selects a failure: ok, 404, 500, truncated, truncated_nolength."""

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        server = self.server
        with server.lock:
            server.requests.append(self.path)
        if server.delay_s:
            threading.Event().wait(server.delay_s)
        mode = server.mode
        if mode in ("404", "500"):
            self.send_error(int(mode))
            return
        if mode.startswith("truncated"):
            path = Path(self.translate_path(self.path))
            if not path.is_file():
                self.send_error(404)
                return
            body = path.read_bytes()
            self.send_response(200)
            if mode == "truncated":
                self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        super().do_GET()


@contextlib.contextmanager
def http_server(directory: Path, mode: str = "ok", delay_s: float = 0.0):
    """Local server on 127.0.0.1 (ephemeral port); yields (base URL, server)."""
    handler = functools.partial(_Handler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.mode, server.delay_s, server.requests, server.lock = mode, delay_s, [], threading.Lock()
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def silent_server():
    """A TCP server on 127.0.0.1 that accepts connections and never answers; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    stop = threading.Event()
    held = []

    def accept_loop():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        stop.set()
        thread.join(timeout=5)
        for conn in held:
            conn.close()
        listener.close()
