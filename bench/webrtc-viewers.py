#!/usr/bin/python3
"""Real WebRTC viewers for bench/occlusion-viewers.sh --webrtc: N GStreamer webrtcbin
receivers in one process, signalled through the occlusion server exactly like the viewer
page (POST /webrtc/offer, POST /webrtc/answer), receiving the SRTP stream and discarding
the RTP packets (no decoding). Viewer i is put on level i % LEVELS first by sending
`tips` events (the bench runs the server with "tips >= k -> level k").

  /usr/bin/python3 bench/webrtc-viewers.py --server http://127.0.0.1:PORT --viewers 50 \
      [--levels 4] [--prefix v] [--ready FILE]

Runs until SIGTERM/SIGINT, then prints the RTP packets each level's viewers received and
makes every viewer leave. Needs Debian's python3-gi, gir1.2-gst-plugins-bad-1.0 and
gstreamer1.0-nice (scripts/setup.sh)."""

import argparse
import json
import signal
import sys
import time
import urllib.request

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstSdp", "1.0")
gi.require_version("GstWebRTC", "1.0")
from gi.repository import Gst, GstSdp, GstWebRTC  # noqa: E402


def http(url, body=None):
    req = urllib.request.Request(url, data=body, method="POST" if body is not None else "GET")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read().decode()


class Viewer:
    def __init__(self, server, name):
        self.name = name
        self.pipeline = Gst.Pipeline.new(name)
        self.webrtc = Gst.ElementFactory.make("webrtcbin")
        self.webrtc.set_property("bundle-policy", GstWebRTC.WebRTCBundlePolicy.MAX_BUNDLE)
        self.pipeline.add(self.webrtc)
        self.sinks = []
        self.webrtc.connect("pad-added", self.on_pad)
        self.pipeline.set_state(Gst.State.PLAYING)
        # webrtcbin answers only m-lines it has a transceiver for: receive H.264 as Janus'
        # mountpoints send it.
        self.webrtc.emit("add-transceiver", GstWebRTC.WebRTCRTPTransceiverDirection.RECVONLY,
                         Gst.Caps.from_string(
                             "application/x-rtp,media=video,encoding-name=H264,payload=96,"
                             "clock-rate=90000,packetization-mode=(string)1,"
                             "profile-level-id=(string)42e01f"))
        offer = json.loads(http(f"{server}/webrtc/offer?viewer={name}", b""))
        ok, sdp = GstSdp.SDPMessage.new_from_text(offer["sdp"])
        desc = GstWebRTC.WebRTCSessionDescription.new(GstWebRTC.WebRTCSDPType.OFFER, sdp)
        promise = Gst.Promise.new()
        self.webrtc.emit("set-remote-description", desc, promise)
        promise.wait()
        # The answer is borrowed from the promise's reply: keep both alive while it is used.
        answered = Gst.Promise.new()
        self.webrtc.emit("create-answer", None, answered)
        answered.wait()
        reply = answered.get_reply()
        answer = reply.get_value("answer")
        promise = Gst.Promise.new()
        self.webrtc.emit("set-local-description", answer, promise)
        promise.wait()
        del answer, reply, answered
        deadline = time.monotonic() + 10
        while (self.webrtc.get_property("ice-gathering-state")
               != GstWebRTC.WebRTCICEGatheringState.COMPLETE and time.monotonic() < deadline):
            time.sleep(0.05)
        local = self.webrtc.get_property("local-description").sdp.as_text()
        http(f"{server}/webrtc/answer?viewer={name}", local.encode())

    def on_pad(self, _webrtc, pad):
        if pad.get_direction() != Gst.PadDirection.SRC:
            return
        sink = Gst.ElementFactory.make("fakesink")
        sink.set_property("sync", False)
        sink.set_property("async", False)
        self.pipeline.add(sink)
        sink.sync_state_with_parent()
        pad.link(sink.get_static_pad("sink"))
        self.sinks.append(sink)

    def connected(self):
        state = self.webrtc.get_property("ice-connection-state")
        return state in (GstWebRTC.WebRTCICEConnectionState.CONNECTED,
                         GstWebRTC.WebRTCICEConnectionState.COMPLETED) and bool(self.sinks)

    def packets(self):
        return sum(s.get_property("stats").get_value("rendered") for s in self.sinks)

    def stop(self):
        self.pipeline.set_state(Gst.State.NULL)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--viewers", type=int, required=True)
    ap.add_argument("--levels", type=int, default=4)
    ap.add_argument("--prefix", default="v")
    ap.add_argument("--ready")
    args = ap.parse_args()
    Gst.init(None)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    viewers = []
    try:
        for i in range(args.viewers):
            name = f"{args.prefix}{i}"
            level = i % args.levels
            if level:
                http(f"{args.server}/event?viewer={name}&kind=tips&amount={level}")
            viewers.append((level, Viewer(args.server, name)))
        deadline = time.monotonic() + 120
        while not all(v.connected() for _, v in viewers):
            if time.monotonic() > deadline or stop:
                n = sum(v.connected() for _, v in viewers)
                sys.exit(f"webrtc-viewers: only {n}/{len(viewers)} viewers connected in 120 s")
            time.sleep(0.2)
        print(f"webrtc-viewers: {len(viewers)} viewers connected", flush=True)
        if args.ready:
            open(args.ready, "w").close()
        start = [v.packets() for _, v in viewers]
        t0 = time.monotonic()
        while not stop:
            time.sleep(0.2)
        seconds = time.monotonic() - t0
        per_level = {}
        for (level, v), p0 in zip(viewers, start):
            n, total = per_level.get(level, (0, 0))
            per_level[level] = (n + 1, total + v.packets() - p0)
        summary = ", ".join(f"level {lv}: {n} viewers {t / max(n, 1) / seconds:.0f} packets/s each"
                            for lv, (n, t) in sorted(per_level.items()))
        print(f"webrtc-viewers: received over {seconds:.0f} s: {summary}", flush=True)
    finally:
        for _, v in viewers:
            try:
                http(f"{args.server}/leave?viewer={v.name}")
            except Exception:
                pass
            v.stop()


if __name__ == "__main__":
    main()
