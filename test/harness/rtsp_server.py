#!/usr/bin/python3
"""A real RTSP server for tests: GStreamer's gst-rtsp-server (Debian's gir1.2-gst-rtsp-server-1.0
with python3-gi) serving a video file as H.264 (x264) at rtsp://127.0.0.1:PORT/PATH, live and shared
by every client, as an IP camera does.

Usage: rtsp_server.py --file F --port N [--path /cam] [--user U --password P] [--size WxH] [--fps N]
                      [--gop-s S] [--key-on-play 0|1] [--passthrough]

Encoded like a typical IP camera: H.264 with a key frame every --gop-s seconds (1 by default;
cameras ship with 1-2 s), SPS/PPS in the SDP and repeated in band every second, and each new
session starts at a key frame (--key-on-play 1: the encoder is asked for one when a client's PLAY
is answered, as many cameras do; a client otherwise waits for the next one, up to a GOP). The
pipeline starts with the first client, so its first frame is a key frame too.

--passthrough serves the H.264 already in F (an MP4) as it is, not re-encoded: the same bytes a
file reader decodes, paced at real time by their own timestamps (the RTSP media's sinks sync to
the clock), ending at the file's end. The encoding is then the file's (its GOP, its first frame a
key frame); --size, --fps, --gop-s and --key-on-play do not apply, nor the "size" command.

Prints "ready" on stdout once it listens. Commands on stdin, one a line, each answered "ok <cmd>":
  stall           stop sending (the connection stays open, no packets flow)
  resume          send again
  size WxH        switch the stream to another resolution (new SPS/PPS, same scene)
  quit            stop
A restart is the test stopping this process and starting another on the same port.
"""

import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstRtspServer, GstVideo  # noqa: E402


def parse_size(text):
    width, height = (int(v) for v in text.lower().split("x"))
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"bad size {text}: width and height must be even and positive")
    return width, height


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--file", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--size", default="768x576")
    parser.add_argument("--fps", type=int, default=10)
    parser.add_argument("--gop-s", type=int, default=1)
    parser.add_argument("--key-on-play", type=int, default=1)
    parser.add_argument("--passthrough", action="store_true")
    args = parser.parse_args()
    if args.passthrough:
        args.key_on_play = 0
    Gst.init(None)
    width, height = parse_size(args.size)
    def launch_for(width, height):
        if args.passthrough:
            return (
                f'( filesrc location="{args.file}" ! qtdemux ! h264parse ! valve name=valve drop=false '
                "! rtph264pay name=pay0 pt=96 config-interval=1 )"
            )
        return (
            f'( filesrc location="{args.file}" ! decodebin ! videoconvert ! videorate ! videoscale '
            f"! capsfilter name=size caps=video/x-raw,format=I420,width={width},height={height},framerate={args.fps}/1 "
            "! valve name=valve drop=false "
            f"! x264enc name=enc tune=zerolatency speed-preset=ultrafast key-int-max={args.fps * args.gop_s} bitrate=3000 "
            "! rtph264pay name=pay0 pt=96 config-interval=1 )"
        )

    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_for(width, height))
    factory.set_shared(True)
    # A camera's stream does not end: the file is its only content, so EOS ends the session and
    # the client sees the stream drop (as when a camera reboots).
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    if args.user:
        auth = GstRtspServer.RTSPAuth()
        token = GstRtspServer.RTSPToken()
        token.set_string("media.factory.role", "camera-user")
        auth.add_basic(GstRtspServer.RTSPAuth.make_basic(args.user, args.password or ""), token)
        server.set_auth(auth)
        permissions = GstRtspServer.RTSPPermissions()
        permissions.add_permission_for_role("camera-user", "media.factory.access", True)
        permissions.add_permission_for_role("camera-user", "media.factory.construct", True)
        factory.set_permissions(permissions)
    server.get_mount_points().add_factory(args.path, factory)
    media_elements = []

    def on_configure(_factory, media):
        media_elements.append(media.get_element())

    factory.connect("media-configure", on_configure)
    def on_play(_client, _context):
        # Each new session starts at a key frame (sent upstream to the encoder).
        if args.key_on_play:
            each("enc", lambda e: e.get_static_pad("src").send_event(
                GstVideo.video_event_new_upstream_force_key_unit(Gst.CLOCK_TIME_NONE, True, 0)))

    server.connect("client-connected", lambda _s, client: client.connect("play-request", on_play))
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        sys.exit(2)
    loop = GLib.MainLoop()

    def each(name, apply):
        for element in media_elements:
            found = element.get_by_name(name)
            if found is not None:
                apply(found)

    def on_command(source, _condition):
        line = source.readline()
        if not line:
            loop.quit()
            return False
        words = line.split()
        if not words:
            return True
        cmd = words[0]
        if cmd == "stall":
            each("valve", lambda v: v.set_property("drop", True))
        elif cmd == "resume":
            each("valve", lambda v: v.set_property("drop", False))
        elif cmd == "size" and args.passthrough:
            print("size: not with --passthrough (the file's own encoding is served)", file=sys.stderr, flush=True)
            return True
        elif cmd == "size":
            w, h = parse_size(words[1])
            caps = Gst.Caps.from_string(f"video/x-raw,format=I420,width={w},height={h},framerate={args.fps}/1")
            each("size", lambda c: c.set_property("caps", caps))
            # A client that connects from now on gets the new size from the start.
            factory.set_launch(launch_for(w, h))
        elif cmd == "quit":
            loop.quit()
            return False
        else:
            print(f"unknown command {cmd}", file=sys.stderr, flush=True)
            return True
        print(f"ok {cmd} clients={len(media_elements)}", flush=True)
        return True

    GLib.io_add_watch(sys.stdin, GLib.IO_IN | GLib.IO_HUP, on_command)
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
