"""Turn firmware/vectors/vectors.json into a C++ include for the host tests (stdlib only).

`python3 gen_vectors.py <vectors.json> <out.inc>`: the C++ tests then check that the core builds
exactly the frames of the vectors and reads the server's answers to the same outcomes, so the
firmware, the simulator and the server's tests share one source of truth.
"""

import json
import sys


def s(text):
    if text is None:
        return "nullptr"
    assert ")FJV" not in text
    return f'R"FJV({text})FJV"'


def reading(r):
    return (f"R({r.get('seq', 0)}ULL, {r.get('ts_ms', 0)}LL, {r.get('uptime_ms', 0)}u, {r.get('boot', 0)}, "
            f"{r.get('heart_rate', 0)}, {r.get('spo2', 255)}, {r.get('temperature_centi', 0x7FFF)}, "
            f"{r.get('respiratory_rate', 0)})")


def main(src, dst):
    v = json.load(open(src))
    out = ["// Generated from firmware/vectors/vectors.json by gen_vectors.py: do not edit.", ""]
    out.append("static const std::vector<FrameVector> kFrameVectors = {")
    for f in v["frames"]:
        readings = ", ".join(reading(r) for r in f.get("readings", []))
        outcomes = ", ".join(f'"{o}"' for o in f.get("outcomes", []))
        out.append(f"  {{{s(f['name'])}, {s(f['transport'])}, {f.get('ack_id', -1)}, {{{readings}}}, {s(f['sends'])}, "
                   f"{s(f.get('answer'))}, {f.get('answer_status', 0)}, {{{outcomes}}}, {s(f.get('topic'))}}},")
    out.append("};")
    out.append("static const std::vector<HeartbeatVector> kHeartbeatVectors = {")
    for h in v["heartbeats"]:
        x = h["health"]
        out.append(f"  {{{s(h['name'])}, {s(h['transport'])}, {h.get('ack_id', -1)}, {x['battery']}, {x['rssi']}, "
                   f"{x['uptime_s']}u, {x['free_heap']}u, {s(x['firmware'])}, {s(h['sends'])}, {s(h['answer'])}}},")
    out.append("};")
    out.append("static const std::vector<CommandVector> kCommandVectors = {")
    for c in v["commands"]:
        p = c["parsed"]
        out.append(f"  {{{s(c['name'])}, {s(c['transport'])}, {c.get('ack_id', -1)}, {s(c['receives'])}, "
                   f"{s(p['kind'])}, {p.get('interval_s', 0)}u, {p.get('seconds', 0)}u, {p.get('now_ms', 0)}LL, "
                   f"{s(c['sends'])}, {s(c['answer'])}}},")
    out.append("};")
    out.append("static const std::vector<LoraVector> kLoraVectors = {")
    for lo in v["lora"]:
        out.append(f"  {{{s(lo['name'])}, {lo['version']}, {reading(lo['reading'])}, {lo.get('battery', 255)}, "
                   f"{lo['uptime_s']}u, {s(lo['hex'])}}},")
    out.append("};")
    d = v["device"]
    out.append(f"static const char* const kVectorDeviceId = {s(d['device_id'])};")
    out.append(f"static const char* const kVectorToken = {s(d['token'])};")
    out.append(f"static const char* const kConnectPayload = "
               f"{s(next(f['sends'] for f in v['frames'] if f['transport'] == 'socketio_connect'))};")
    open(dst, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
