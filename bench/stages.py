#!/usr/bin/env python3
"""Where a Reprise request's CPU goes, by stage (issue 18): reads `perf script` output of a `perf record -g` on stdin
and prints a Markdown table of microseconds per request for each stage of the request path.

    perf script -i perf.data | bench/stages.py US_PER_REQUEST

Each user-space sample is given to the innermost frame of its stack that belongs to a known stage (so the runtime's
retain/release and malloc count for the code that called them); kernel samples are one row. US_PER_REQUEST is the
process's CPU time per request over the run (bench/profile.sh measures it from /proc), so the rows add up to it.
For another server (nginx, HAProxy) only the user-space and kernel totals mean anything.
"""
import collections
import re
import subprocess
import sys

# (stage, substrings of demangled function names), in the order they are tried on each frame.
STAGES = [
    ("purge on write (RFC 9111 §4.4)", ["TieredStore.purge", "recordAndPurgeMemory", "PurgeJournal", "MemoryStore.purge"]),
    ("request head parse", ["RequestParser"]),
    ("response head parse", ["ResponseParser", "ResponseSyntax"]),
    ("upstream request (Forwarded fields, head encoding, pool)",
     ["ForwardedHeaders.request", "requestHead(method", "RequestWire", "UpstreamClient.execute",
      "UpstreamConnection.begin", "UpstreamCall.attach", "UpstreamConnectionPool"]),
    ("request body to the upstream", ["RequestBodyStreamer", "UpstreamCall.send", "writeBodyPart"]),
    ("response head encode (Cache-Status, fields)",
     ["ProxyHandler.writeHead", "ResponseWire", "CacheStatus", "ForwardedHeaders.response"]),
    ("storage decision (RFC 9111 §3)", ["StoragePlanner", "BodyCollector", "Storability"]),
    ("route, key, lookup, coalescer",
     ["Router.", "requestKey", "ProxyHandler.lookup", "ProxyHandler.coalesce", "Coalescer", "RequestTraits",
      "UnmatchedRoutes", "currentTable", "refusal"]),
    ("end of exchange (records, counters, state machine)",
     ["upstreamEnd", "writeEnd", "emitRecord", "UpstreamExchange.__deallocating", "ConnectionStateMachine"]),
    ("the proxy's own glue (ProxyHandler, UpstreamConnection)",
     ["ProxyHandler", "UpstreamConnection", "UpstreamExchange", "RequestState"]),
    ("NIO: channel pipeline, sockets, pending writes, event loop",
     ["NIOPosix", "NIOCore", "Selector", "SelectableEventLoop", "ChannelPipeline", "ChannelHandlerContext", "ByteBuffer"]),
]


def read_stacks(lines):
    """Yields (is_kernel, [symbol, ...] leaf first) for each sample of `perf script`."""
    frames, kernel = [], None
    for line in lines:
        line = line.rstrip("\n")
        if not line.strip():
            if frames:
                yield kernel, frames
            frames, kernel = [], None
            continue
        if not line[:1].isspace():
            continue  # the sample's header line
        parts = line.strip().split(None, 1)
        if len(parts) < 2:
            continue
        if kernel is None:
            kernel = "kernel.kallsyms" in parts[1]
        symbol = re.sub(r"\+0x[0-9a-f]+ \(.*\)$", "", parts[1])
        frames.append(re.sub(r" \(.*\)$", "", symbol))
    if frames:
        yield kernel, frames


def demangled(symbols):
    """Swift symbols demangled (`swift demangle`), others as they are."""
    try:
        out = subprocess.run(["swift", "demangle", "--simplified"], input="\n".join(symbols),
                             capture_output=True, text=True, check=True).stdout.split("\n")
        return dict(zip(symbols, out))
    except (OSError, subprocess.CalledProcessError):
        return {symbol: symbol for symbol in symbols}


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: perf script -i perf.data | bench/stages.py US_PER_REQUEST")
    per_request = float(sys.argv[1])
    stacks = list(read_stacks(sys.stdin))
    if not stacks:
        sys.exit("stages.py: no samples with stacks (record with perf record -g)")
    names = demangled(sorted({frame for _, frames in stacks for frame in frames}))
    counts = collections.Counter()
    for kernel, frames in stacks:
        if kernel:
            counts["kernel"] += 1
            continue
        stage = None
        for frame in frames:
            name = names.get(frame, frame)
            stage = next((title for title, parts in STAGES if any(part in name for part in parts)), None)
            if stage:
                break
        counts[stage or "other user space"] += 1
    total = len(stacks)
    print("| stage | µs per request |")
    print("|:--- | ---:|")
    user = 0.0
    for title in [title for title, _ in STAGES] + ["other user space"]:
        value = counts[title] / total * per_request
        user += value
        print("| %s | %.1f |" % (title, value))
    print("| **user space** | **%.1f** |" % user)
    print("| kernel | %.1f |" % (counts["kernel"] / total * per_request))
    print("| **total** | **%.1f** |" % per_request)


if __name__ == "__main__":
    main()
