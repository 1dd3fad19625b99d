-- wrk script: send pre-built raw requests (bench/traffic.py), in order, each once.
-- BENCH_REQUESTS names the file: "<length>\n<raw request>" one after another.
-- At the end, prints one line "BENCH_JSON {...}" with the figures bench/wrk.py reads.

local requests = {}
local count = 0
local next_index = 0
wrapped = 0 -- global, so done() can read it through thread:get

local function load(path)
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = string.find(data, "\n", pos, true)
    local len = tonumber(string.sub(data, pos, nl - 1))
    count = count + 1
    requests[count] = string.sub(data, nl + 1, nl + len)
    pos = nl + 1 + len
  end
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  load(os.getenv("BENCH_REQUESTS"))
end

function request()
  next_index = next_index + 1
  if next_index > count then
    -- Out of fresh requests: what follows would be duplicates. bench/wrk.py refuses
    -- a run where this happened.
    next_index = 1
    wrapped = wrapped + 1
  end
  return requests[next_index]
end

function done(summary, latency, requests)
  local wraps = 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p95": %d, "p99": %d, "max": %d, "mean": %.1f}, "wrapped": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.max,
    latency.mean, wraps))
end
