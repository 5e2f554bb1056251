-- bench/run.sh's pass-through row: every request a POST with a 1 KiB JSON body (a backend's write), then the same
-- machine-readable line as wrk-report.lua.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"data":"' .. string.rep("x", 1024 - 11) .. '"}'
dofile(os.getenv("BENCH_DIR") .. "/wrk-report.lua")
