-- wrk script for make bench (scripts/bench_http.py runs it): every request
-- carries the signed-in persona's session cookie, every response's status is
-- tallied, and done() prints one line of JSON that bench_http.py reads.
--
--   BENCH_COOKIE="sessionid=…; csrftoken=…" wrk -s scripts/wrk_session.lua …

local cookie = os.getenv("BENCH_COOKIE")
if cookie and cookie ~= "" then
  wrk.headers["Cookie"] = cookie
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for code, count in pairs(thread:get("statuses") or {}) do
      counts[code] = (counts[code] or 0) + count
    end
  end
  local parts = {}
  local non_2xx = 0
  for code, count in pairs(counts) do
    table.insert(parts, string.format('"%s": %d', code, count))
    if tonumber(code) < 200 or tonumber(code) > 299 then
      non_2xx = non_2xx + count
    end
  end
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  -- Latencies are in microseconds; wrk only records requests that completed.
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.2f, "bytes": %d, '
      .. '"p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "non_2xx": %d, '
      .. '"statuses": {%s}, "errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}}\n',
    summary.requests, seconds, summary.requests / seconds, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, non_2xx, table.concat(parts, ", "),
    errors.connect, errors.read, errors.write, errors.status, errors.timeout
  ))
end
