"""A real upload with tuspy, the official tus Python client, cut half-way and resumed.

A first client uploads in chunks and is killed (SIGKILL) once half the file is in; a second client,
with the same URL storage, finds the upload, asks the server for its offset and finishes it. Checks
that the second client resumed the same upload past half-way, that the server received at most one
chunk twice (from its log: each PATCH logs the bytes it kept), and that the room's video is the file,
byte for byte.

Usage: resume.py BASE ROOM COOKIE SERVER_LOG WORKDIR   (run by tests/tus/run.sh)
"""

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request

from tusclient import client as tus
from tusclient.storage.filestorage import FileStorage

SIZE = 6 * 1024 * 1024
CHUNK = 256 * 1024
WEBM_HEADER = b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\x82\x84webm"


def uploader(base, room, cookie, path, storage):
    client = tus.TusClient(f"{base}/api/rooms/{room}/uploads", headers={"Cookie": cookie})
    return client.uploader(
        file_path=path,
        chunk_size=CHUNK,
        metadata={"filename": "tuspy.webm"},
        store_url=True,
        url_storage=FileStorage(storage),
    )


def child(base, room, cookie, path, storage):
    """Uploads chunk after chunk, printing the offset after each, until killed."""
    upload = uploader(base, room, cookie, path, storage)
    while upload.offset < upload.get_file_size():
        upload.upload_chunk()
        print(upload.offset, flush=True)
        time.sleep(0.05)


def received_by_server(log_path, upload_id):
    """Bytes the server kept across every PATCH of the upload, from its log lines."""
    ansi = re.compile(r"\x1b\[[0-9;]*m")
    total = 0
    with open(log_path, encoding="utf-8", errors="replace") as log:
        for line in log:
            line = ansi.sub("", line)
            if "upload appended" in line and f"upload={upload_id}" in line:
                total += int(re.search(r"written=(\d+)", line).group(1))
    return total


def main(base, room, cookie, log_path, work):
    path = os.path.join(work, "film.webm")
    body = WEBM_HEADER + os.urandom(SIZE - len(WEBM_HEADER))
    with open(path, "wb") as file:
        file.write(body)
    storage = os.path.join(work, "tus-urls.json")

    first = subprocess.Popen(
        [sys.executable, __file__, "child", base, room, cookie, path, storage],
        stdout=subprocess.PIPE,
        text=True,
    )
    cut_at = 0
    for line in first.stdout:
        cut_at = int(line)
        if cut_at >= SIZE // 2:
            first.send_signal(signal.SIGKILL)
            break
    first.wait()
    assert SIZE // 2 <= cut_at < SIZE, f"the first client stopped at {cut_at} of {SIZE}"

    second = uploader(base, room, cookie, path, storage)
    assert second.url, "the second client found no stored upload URL"
    resumed_at = second.offset
    assert resumed_at >= cut_at, f"resumed at {resumed_at}, the first client had {cut_at} in"
    second.upload()
    upload_id = second.url.rstrip("/").rsplit("/", 1)[1]

    request = urllib.request.Request(f"{base}/api/rooms/{room}", headers={"Cookie": cookie})
    with urllib.request.urlopen(request) as answer:
        video = json.load(answer)["video"]
    assert video and video["original_name"] == "tuspy.webm", video
    with urllib.request.urlopen(urllib.request.Request(base + video["url"], headers={"Cookie": cookie})) as answer:
        served = answer.read()
    assert served == body, "the room's video differs from the file uploaded"

    # The server logs each PATCH once it has counted it; the last one may be a moment behind.
    for _ in range(50):
        received = received_by_server(log_path, upload_id)
        if received >= SIZE:
            break
        time.sleep(0.1)
    twice = received - SIZE
    print(
        f"tuspy: {SIZE} bytes in {CHUNK}-byte chunks, cut at {cut_at}, resumed at {resumed_at}; "
        f"the server received {received} bytes ({twice} twice)"
    )
    assert 0 <= twice <= CHUNK, f"the server received {twice} bytes twice, more than one chunk"


if __name__ == "__main__":
    if sys.argv[1] == "child":
        child(*sys.argv[2:])
    else:
        main(*sys.argv[1:])
