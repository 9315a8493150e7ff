"""Probe an upload in a child process: `python -m tasks_app.probe PATH MAX_SECONDS [KIND]`.

KIND is `audio` (the default), `video`, `text` or `extract`. Demuxers and document parsers read
untrusted bytes, so neither the web process nor a worker opens an upload itself: this module
runs in a subprocess (tasks_app.uploads.run_sandboxed starts it with an environment of PATH and
LANG only and a private TMPDIR, and kills it after a timeout) that confines itself before it
reads a byte (`enter_sandbox`). It prints one JSON object: `{"ok": true, …}` with what it found
(`extract` adds the whole `text`) or `{"ok": false, "code": …, "message": …}`. It imports no
Django so it starts fast.

Starting Python and importing PyAV costs about 0.2 s, most of an upload's probe (issue 18's fixed
cost per task). So `run_sandboxed` keeps one warm server per process (`--serve FD`, `serve`):
started like the probe, with PyAV imported and no thread, it forks one child per request that
runs what a fresh `python ARGS` would, confined the same way (it calls `enter_sandbox` itself).
Forking is safe here: the server holds no model and no thread (ENGINE-FACTS.md).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import re
import resource
import runpy
import selectors
import signal
import socket
import sys
import tempfile
import traceback
import zipfile
from typing import Any

MEMORY_LIMIT_BYTES = 1024 * 1024 * 1024
# The parent kills the probe after PROBE_TIMEOUT_SECONDS of wall time; one that spins on every
# core is stopped by its CPU time first.
CPU_LIMIT_SECONDS = 30
# The probe writes no file; a parser's scratch file in the private TMPDIR stays small.
FILE_SIZE_LIMIT_BYTES = 64 * 1024 * 1024
OPEN_FILES_LIMIT = 64
# Below the web in the CPU scheduler: a probe may take seconds of a core, and the pages and
# health checks the web answers meanwhile should not wait behind it (bench/LOAD.md).
NICENESS = 10
# RLIMIT_NPROC counts every process and thread of the user: room for the decoders' threads on
# top of what the user runs already, none for a fork bomb.
EXTRA_TASKS = 2 * (os.cpu_count() or 1) + 16
CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
# This module's name: what `run_sandboxed` asks the server to run for a probe.
MODULE = "tasks_app.probe"
# How the probe tells its parent, on stderr, what of the sandbox this machine does not allow.
SANDBOX_NOTE = "probe sandbox: "
# A stream that ends this much before its header says it should was cut off in transit.
TRUNCATION_TOLERANCE = 0.9
DECODE_CHECK_PACKETS = 50
# Video frames are large: a few decoded ones prove the stream is real.
VIDEO_DECODE_CHECK_PACKETS = 10
TEXT_ENCODINGS = ("utf-8-sig", "utf-16")
DOCX_MAIN_PART = "word/document.xml"
NON_SPACE = re.compile(r"\S+")
# Matroska's per-stream DURATION tag: "00:00:11.008000000".
DURATION_TAG = re.compile(r"(\d+):(\d\d):(\d\d(?:\.\d+)?)")


def refuse(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "code": code, "message": message}


def not_media(kind: str) -> dict[str, Any]:
    if kind == "video":
        return refuse(
            "not_video",
            "The file could not be read as a video: it is not a video, or it is damaged or "
            "incomplete.",
        )
    return refuse(
        "not_audio",
        "The file could not be read as audio: it is not a recording, or it is damaged or "
        "incomplete.",
    )


def _open(path: str) -> Any:
    import av

    return av.open(path, metadata_errors="ignore")


def probe(path: str, max_seconds: float) -> dict[str, Any]:
    import av

    try:
        container = _open(path)
    except (av.FFmpegError, UnicodeDecodeError, ValueError):
        return not_media("audio")
    with container:
        streams = container.streams.audio
        if not streams:
            return refuse("no_audio_stream", "The file holds no audio.")
        return _check_audio(container, streams[0], path, max_seconds)


def probe_video(path: str, max_seconds: float) -> dict[str, Any]:
    """A video container whose picture decodes; its sound, when it has one, is checked like
    an audio upload. A video without sound is accepted: Writers keeps its metadata and
    thumbnail. A container with sound only is reported as such (`has_video: false`)."""
    import av

    try:
        container = _open(path)
    except (av.FFmpegError, UnicodeDecodeError, ValueError):
        return not_media("video")
    with container:
        audio = container.streams.audio[0] if container.streams.audio else None
        video = picture_stream(container)
        if video is None and audio is None:
            return not_media("video")
        found: dict[str, Any] = {"ok": True, "format": container.format.name}
        if video is not None:
            declared = declared_duration(container, video)
            if declared is not None and declared > max_seconds:
                return _too_long(declared, max_seconds)
            decoded = 0
            try:
                for index, packet in enumerate(container.demux(video)):
                    if index >= VIDEO_DECODE_CHECK_PACKETS and decoded:
                        break
                    if packet.size:
                        decoded += len(packet.decode())
            except (av.FFmpegError, ValueError) as error:
                return refuse(
                    "corrupt_video", f"The video is damaged and cannot be decoded ({error})."
                )
            if decoded == 0:
                return refuse("corrupt_video", "The video holds no picture that can be decoded.")
            found.update(
                video_codec=video.codec_context.name,
                width=video.codec_context.width,
                height=video.codec_context.height,
                duration=round(declared, 3) if declared is not None else None,
            )
    if audio is None:
        return {**found, "has_video": True, "has_audio": False}
    # The picture check read part of the file; the sound check demuxes it again from the start.
    with _open(path) as container:
        checked = _check_audio(container, container.streams.audio[0], path, max_seconds)
    if not checked["ok"]:
        return checked
    return {
        **found,
        "duration": checked["duration"],
        "codec": checked["codec"],
        "has_video": video is not None,
        "has_audio": True,
    }


def picture_stream(container: Any) -> Any:
    """The first moving-picture stream; an MP3's or M4A's cover art is not a video."""
    import av

    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    return None


def _check_audio(container: Any, stream: Any, path: str, max_seconds: float) -> dict[str, Any]:
    import av

    declared = declared_duration(container, stream)
    if declared is not None and declared > max_seconds:
        return _too_long(declared, max_seconds)
    end = 0.0
    decoded = 0
    try:
        for index, packet in enumerate(container.demux(stream)):
            if packet.pts is not None and packet.time_base is not None:
                end = max(end, float((packet.pts + (packet.duration or 0)) * packet.time_base))
            # Decoding every packet would cost as much as transcribing; the first ones
            # prove the codec data is real, demuxing to the end proves the file is whole.
            if index < DECODE_CHECK_PACKETS and packet.size:
                decoded += len(packet.decode())
    except (av.FFmpegError, ValueError) as error:
        return refuse("corrupt_audio", f"The recording is damaged and cannot be decoded ({error}).")
    if decoded == 0 or end <= 0:
        return refuse("corrupt_audio", "The recording holds no audio that can be decoded.")
    if declared is not None and end < declared * TRUNCATION_TOLERANCE:
        return refuse(
            "truncated_audio",
            f"The recording is cut off: it ends at {end:.1f} s of the {declared:.1f} s "
            "its header announces. Upload the complete file.",
        )
    if container.format.name == "wav" and _wav_is_short(path):
        return refuse(
            "truncated_audio",
            "The recording is cut off: the file is shorter than its header announces. "
            "Upload the complete file.",
        )
    # The longer of header and packets: a header that understates the length must not sneak
    # an hour of audio past MAX_AUDIO_SECONDS.
    duration = max(declared, end) if declared is not None else end
    if duration > max_seconds:
        return _too_long(duration, max_seconds)
    return {
        "ok": True,
        "duration": round(duration, 3),
        "format": container.format.name,
        "codec": stream.codec_context.name,
    }


def document_format(head: bytes, path: str) -> str:
    """`pdf`, `docx` or `text`, by content: the name of a file routed here may be anything."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                if DOCX_MAIN_PART in archive.namelist():
                    return "docx"
        except (zipfile.BadZipFile, OSError):
            pass
        return "zip"
    return "text"


def extract_text(path: str) -> dict[str, Any]:
    """The text of a plain-text, Markdown, DOCX or PDF file, with what was learnt on the way."""
    with open(path, "rb") as file:
        head = file.read(8)
    kind = document_format(head, path)
    if kind == "pdf":
        found = _pdf_text(path)
    elif kind == "docx":
        found = _docx_text(path)
    elif kind == "zip":
        return refuse("not_text", "The file is an archive, not a text document.")
    else:
        found = _plain_text(path)
    if not found["ok"]:
        return found
    text = found["text"].replace("\r\n", "\n").replace("\x00", "").strip()
    if not text:
        return refuse(
            "no_text",
            "The document holds no text. A scanned PDF has only pictures of pages; Writers "
            "does not read text from images.",
        )
    # Counted without building a list: a long document's words would not fit the memory cap.
    words = sum(1 for _ in NON_SPACE.finditer(text))
    return {**found, "text": text, "characters": len(text), "words": words}


def _plain_text(path: str) -> dict[str, Any]:
    with open(path, "rb") as file:
        data = file.read()
    encodings = TEXT_ENCODINGS if data[:2] in (b"\xff\xfe", b"\xfe\xff") else TEXT_ENCODINGS[:1]
    for encoding in encodings[::-1]:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        return {
            "ok": True,
            "format": "text",
            "encoding": encoding.removesuffix("-sig"),
            "text": text,
        }
    return refuse(
        "not_text",
        "The file is not plain text in UTF-8 (or UTF-16 with a byte-order mark). Save it as "
        "UTF-8 text, or upload the DOCX or PDF.",
    )


def _docx_text(path: str) -> dict[str, Any]:
    import docx

    try:
        document = docx.Document(path)
    except Exception as error:  # noqa: BLE001 (python-docx raises many types for bad files)
        return refuse("corrupt_document", f"The Word document could not be read ({error}).")
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    return {
        "ok": True,
        "format": "docx",
        "paragraphs": len(document.paragraphs),
        "text": "\n".join(parts),
    }


def _pdf_text(path: str) -> dict[str, Any]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            return refuse(
                "encrypted_document",
                "The PDF is protected by a password. Upload a copy without the password.",
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as error:
        return refuse("corrupt_document", f"The PDF could not be read ({error}).")
    return {"ok": True, "format": "pdf", "pages": len(pages), "text": "\n\n".join(pages)}


def probe_text(path: str) -> dict[str, Any]:
    found = extract_text(path)
    found.pop("text", None)
    return found


def declared_duration(container: Any, stream: Any) -> float | None:
    """The stream's own length from the headers: its duration field, else the DURATION tag
    Matroska and WebM write per stream; the container's only when the stream has neither
    (a video's sound may end before its picture, and that file is whole)."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    tag = next((value for key, value in stream.metadata.items() if key.upper() == "DURATION"), "")
    if match := DURATION_TAG.fullmatch(tag.strip()):
        hours, minutes, seconds = match.groups()
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    if container.duration is not None:
        return container.duration / 1_000_000
    return None


def _wav_is_short(path: str) -> bool:
    # FFmpeg derives a WAV's duration from the bytes present, so the RIFF size is the only
    # record of how long the file was meant to be. Streamed WAVs write 0 or 0xFFFFFFFF there.
    with open(path, "rb") as file:
        header = file.read(8)
        file.seek(0, 2)
        actual = file.tell()
    if len(header) < 8 or header[:4] != b"RIFF":
        return False
    riff_size = int.from_bytes(header[4:8], "little")
    if riff_size in (0, 0xFFFFFFFF):
        return False
    return actual < (riff_size + 8) * TRUNCATION_TOLERANCE


def _too_long(duration: float, max_seconds: float) -> dict[str, Any]:
    return refuse(
        "audio_too_long",
        f"The recording lasts {_human(duration)}; the limit is {_human(max_seconds)}.",
    )


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} seconds"
    if seconds < 7200:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def run(path: str, max_seconds: float, kind: str) -> dict[str, Any]:
    if kind == "video":
        return probe_video(path, max_seconds)
    if kind == "text":
        return probe_text(path)
    if kind == "extract":
        return extract_text(path)
    return probe(path, max_seconds)


def enter_sandbox() -> None:
    """Confine this process for good (soft and hard limits alike): memory, CPU time, file size,
    open files, processes, no core dumps, and no network (a network namespace of its own, with
    only a loopback that is down)."""
    limits = {
        resource.RLIMIT_AS: MEMORY_LIMIT_BYTES,
        resource.RLIMIT_CPU: CPU_LIMIT_SECONDS,
        resource.RLIMIT_FSIZE: FILE_SIZE_LIMIT_BYTES,
        resource.RLIMIT_NOFILE: OPEN_FILES_LIMIT,
        resource.RLIMIT_CORE: 0,
    }
    if (tasks := _tasks_of_this_user()) is not None:
        limits[resource.RLIMIT_NPROC] = tasks + EXTRA_TASKS
    for which, value in limits.items():
        hard = resource.getrlimit(which)[1]
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(which, (value, value))
    os.nice(max(0, NICENESS - os.nice(0)))
    _leave_the_network()


def _tasks_of_this_user() -> int | None:
    """Processes and threads of this user (what RLIMIT_NPROC counts), or None without /proc."""
    uid, count = os.getuid(), 0
    try:
        entries = list(os.scandir("/proc"))
    except OSError:
        return None
    for entry in entries:
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += len(os.listdir(f"/proc/{entry.name}/task"))
            except OSError:
                continue  # it ended meanwhile
    return count


def _leave_the_network() -> None:
    # root may make a network namespace; anyone else needs a user namespace around it, which
    # some kernels refuse. Then the probe keeps the network and says so (uploads logs it).
    flags = CLONE_NEWNET if os.geteuid() == 0 else CLONE_NEWUSER | CLONE_NEWNET
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(flags) != 0:
        reason = os.strerror(ctypes.get_errno())
        print(
            f"{SANDBOX_NOTE}no network namespace ({reason}): the probe can reach the network",
            file=sys.stderr,
        )


def serve(control: socket.socket) -> int:
    """Serve requests from `control` (a SOCK_SEQPACKET socket) until its other end closes.

    A request is one message: JSON `{"argv": ["-m" MODULE | "-c" CODE, ARGS…], "tmp": DIR}`
    with three descriptors: a stream socket for the status, and the write ends of the child's
    stdout and stderr. The server forks a child that runs it with TMPDIR=DIR; on the status
    socket it writes `PID\n` at once, then `EXIT CODE\n` (subprocess's returncode) when the
    child has ended. When the requester closes the status socket first, the child is killed.
    """
    import av  # noqa: F401 (loaded once here, it is loaded in every child)

    wake_read, wake_write = os.pipe()
    for fd in (wake_read, wake_write):
        os.set_blocking(fd, False)
    signal.set_wakeup_fd(wake_write)
    # A handler of its own, so that SIGCHLD reaches the wake-up pipe.
    signal.signal(signal.SIGCHLD, lambda signum, frame: None)
    selector = selectors.DefaultSelector()
    selector.register(control, selectors.EVENT_READ)
    selector.register(wake_read, selectors.EVENT_READ)
    statuses: dict[int, socket.socket] = {}

    def release(pid: int, line: bytes | None) -> None:
        status = statuses.pop(pid, None)
        if status is None:
            return
        selector.unregister(status)
        if line is not None:
            # The requester may be gone.
            with contextlib.suppress(OSError):
                status.sendall(line)
        status.close()

    while True:
        for key, _events in selector.select():
            if key.fileobj is control:
                message, fds, _flags, _address = socket.recv_fds(control, 1 << 16, 3)
                if not message:
                    return 0
                inherited = [control, selector, *statuses.values()]
                pid = _fork_child(json.loads(message), fds, inherited, (wake_read, wake_write))
                status = socket.socket(fileno=fds[0])
                statuses[pid] = status
                selector.register(status, selectors.EVENT_READ, pid)
                try:
                    status.sendall(f"{pid}\n".encode())
                except OSError:
                    os.kill(pid, signal.SIGKILL)
            elif key.fileobj == wake_read:
                while _drain(wake_read):
                    pass
            elif key.data in statuses:
                # The requester closed (gave up, or died): nobody waits for this child.
                with contextlib.suppress(OSError):
                    os.kill(key.data, signal.SIGKILL)
                release(key.data, None)
        _reap(release)


def _fork_child(
    request: dict[str, Any], fds: list[int], inherited: list[Any], pipe: tuple[int, int]
) -> int:
    pid = os.fork()
    if pid:
        os.close(fds[1])
        os.close(fds[2])
        return pid
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for thing in inherited:
            thing.close()
        for fd in pipe:
            os.close(fd)
        os.close(fds[0])
        os.dup2(fds[1], 1)
        os.dup2(fds[2], 2)
        os.close(fds[1])
        os.close(fds[2])
        code = _run_request(request)
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _run_request(request: dict[str, Any]) -> int:
    """What `python ARGV` would do in this process: the exit status."""
    os.environ["TMPDIR"] = request["tmp"]
    tempfile.tempdir = None
    option, target, *rest = request["argv"]
    try:
        if option == "-m" and target == MODULE:
            # The probe itself is the module this server runs: its `main` is loaded, where
            # runpy would execute the module again (compiled anew where no .pyc is written).
            sys.argv = [target, *rest]
            return main(sys.argv)
        if option == "-m":
            sys.argv = [target, *rest]
            runpy.run_module(target, run_name="__main__", alter_sys=True)
        else:
            sys.argv = ["-c", *rest]
            exec(compile(target, "<string>", "exec"), {"__name__": "__main__"})  # noqa: S102
    except SystemExit as stop:
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    except BaseException:  # noqa: BLE001 (as Python itself: a traceback and status 1)
        traceback.print_exc()
        return 1
    return 0


def _reap(release: Any) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        release(pid, f"EXIT {os.waitstatus_to_exitcode(status)}\n".encode())


def _drain(fd: int) -> bool:
    try:
        return bool(os.read(fd, 4096))
    except BlockingIOError:
        return False


def main(argv: list[str]) -> int:
    if len(argv) > 2 and argv[1] == "--serve":
        return serve(socket.socket(fileno=int(argv[2])))
    enter_sandbox()
    kind = argv[3] if len(argv) > 3 else "audio"
    print(json.dumps(run(argv[1], float(argv[2]), kind), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
