#!/usr/bin/env python3
"""The peer of `npm run bench:cameras`: the loop a user would write with OpenCV-Python.

Every frame of the video, sampled to --fps: find persons with YOLOX-nano and faces with
UltraFace (the same ONNX files zebra uses, run by cv2.dnn), pixelate every face found, and
write the redacted frame to a video file. Prints one JSON line with what it did and how fast.

Needs OpenCV for Python and NumPy:  apt-get install -y python3-opencv
(or: pip install opencv-python-headless numpy). Exit code 3 when they are missing.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

try:
    import cv2
    import numpy as np
except ImportError as err:  # say how to get it, and let the bench go on without the peer
    print(
        f"opencv_peer: {err}: install OpenCV for Python with `apt-get install -y python3-opencv` "
        "(or `pip install opencv-python-headless numpy`)",
        file=sys.stderr,
    )
    sys.exit(3)

PERSON_INPUT = 416
STRIDES = (8, 16, 32)
FACE_W, FACE_H = 640, 480


def yolox_grids():
    grids, strides = [], []
    for s in STRIDES:
        n = PERSON_INPUT // s
        ys, xs = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        grids.append(np.stack((xs, ys), axis=2).reshape(-1, 2))
        strides.append(np.full((n * n, 1), s))
    return np.concatenate(grids).astype(np.float32), np.concatenate(strides).astype(np.float32)


GRIDS, GRID_STRIDES = yolox_grids()


def detect_persons(net, frame, min_score=0.3, nms_iou=0.45):
    h, w = frame.shape[:2]
    scale = min(PERSON_INPUT / w, PERSON_INPUT / h)
    resized = cv2.resize(frame, (int(w * scale), int(h * scale)), interpolation=cv2.INTER_LINEAR)
    padded = np.full((PERSON_INPUT, PERSON_INPUT, 3), 114, dtype=np.uint8)
    padded[: resized.shape[0], : resized.shape[1]] = resized
    blob = cv2.dnn.blobFromImage(padded)  # BGR, raw 0-255, NCHW
    net.setInput(blob)
    out = net.forward()[0]
    xy = (out[:, :2] + GRIDS) * GRID_STRIDES
    wh = np.exp(out[:, 2:4]) * GRID_STRIDES
    scores = out[:, 4] * out[:, 5]  # objectness x person
    keep = scores >= min_score
    xy, wh, scores = xy[keep], wh[keep], scores[keep]
    boxes = np.concatenate((xy - wh / 2, wh), axis=1) / scale
    idx = cv2.dnn.NMSBoxes(boxes.tolist(), scores.tolist(), min_score, nms_iou)
    return [boxes[i] for i in np.array(idx).flatten()]


def detect_faces(net, frame, min_score=0.3, nms_iou=0.3):
    h, w = frame.shape[:2]
    blob = cv2.dnn.blobFromImage(frame, 1 / 128.0, (FACE_W, FACE_H), (127, 127, 127), swapRB=True)
    net.setInput(blob)
    scores, boxes = net.forward(["scores", "boxes"])
    scores, boxes = scores[0][:, 1], boxes[0]
    keep = scores >= min_score
    scores, boxes = scores[keep], boxes[keep] * np.array([w, h, w, h])
    xywh = np.concatenate((boxes[:, :2], boxes[:, 2:] - boxes[:, :2]), axis=1)
    idx = cv2.dnn.NMSBoxes(xywh.tolist(), scores.tolist(), min_score, nms_iou)
    return [xywh[i] for i in np.array(idx).flatten()]


def pixelate(frame, box, blocks=6):
    h, w = frame.shape[:2]
    x, y, bw, bh = box
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(w, int(x + bw)), min(h, int(y + bh))
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    roi = frame[y0:y1, x0:x1]
    small = cv2.resize(roi, (min(blocks, x1 - x0), min(blocks, y1 - y0)), interpolation=cv2.INTER_LINEAR)
    frame[y0:y1, x0:x1] = cv2.resize(small, (x1 - x0, y1 - y0), interpolation=cv2.INTER_NEAREST)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", required=True)
    parser.add_argument("--persons", required=True, help="yolox_nano.onnx")
    parser.add_argument("--faces", required=True, help="ultraface RFB-640 .onnx")
    parser.add_argument("--fps", type=float, default=5.0, help="sample the video to this rate")
    parser.add_argument("--out", help="redacted video written here (default: a temporary file, removed)")
    parser.add_argument("--threads", type=int, default=-1, help="cv2.setNumThreads (-1: OpenCV's default)")
    args = parser.parse_args()
    if args.threads >= 0:
        cv2.setNumThreads(args.threads)
    persons_net = cv2.dnn.readNetFromONNX(args.persons)
    faces_net = cv2.dnn.readNetFromONNX(args.faces)
    cap = cv2.VideoCapture(args.video)
    if not cap.isOpened():
        sys.exit(f"opencv_peer: cannot open {args.video}")
    source_fps = cap.get(cv2.CAP_PROP_FPS) or args.fps
    out = args.out or os.path.join(tempfile.mkdtemp(prefix="opencv-peer-"), "redacted.avi")
    step = max(1.0, source_fps / args.fps)
    writer = None
    frames = persons_found = faces_found = 0
    cpu0 = os.times()
    started = time.perf_counter()
    index, next_keep = 0, 0.0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        index += 1
        if index - 1 < next_keep:
            continue
        next_keep += step
        persons_found += len(detect_persons(persons_net, frame))
        faces = detect_faces(faces_net, frame)
        faces_found += len(faces)
        for box in faces:
            pixelate(frame, box)
        if writer is None:
            h, w = frame.shape[:2]
            writer = cv2.VideoWriter(out, cv2.VideoWriter_fourcc(*"MJPG"), args.fps, (w, h))
        writer.write(frame)
        frames += 1
    if writer is not None:
        writer.release()
    seconds = time.perf_counter() - started
    cpu1 = os.times()
    if not args.out:
        shutil.rmtree(os.path.dirname(out), ignore_errors=True)
    print(
        json.dumps(
            {
                "opencv": cv2.__version__,
                "threads": cv2.getNumThreads(),
                "frames": frames,
                "seconds": round(seconds, 3),
                "fps": round(frames / seconds, 2) if seconds > 0 else 0,
                "cpuSeconds": round((cpu1.user - cpu0.user) + (cpu1.system - cpu0.system), 3),
                "persons": persons_found,
                "faces": faces_found,
            }
        )
    )


if __name__ == "__main__":
    main()
