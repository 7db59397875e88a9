-- Shared by every scenario: the data file written by fairlance.bench.runner, per-thread
-- random seeds, status and problem-code counters, and a JSON summary line at the end.
data = dofile(os.getenv("FL_BENCH_DATA"))

local threads = {}
local next_id = 1

function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(data.seed * 1000 + thread_id)
  statuses = {}
  codes = {}
  if scenario_init then scenario_init() end
end

function pick(list)
  return list[math.random(#list)]
end

function urlencode(s)
  return (string.gsub(s, "[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status >= 400 and body then
    local code = string.match(body, '"code"%s*:%s*"([%w_]+)"')
    if code then codes[code] = (codes[code] or 0) + 1 end
  end
end

local function json_map(t)
  local parts = {}
  for k, v in pairs(t) do
    table.insert(parts, string.format('"%s": %d', tostring(k), v))
  end
  return "{" .. table.concat(parts, ", ") .. "}"
end

function done(summary, latency, requests)
  local st, cd = {}, {}
  for _, t in ipairs(threads) do
    for k, v in pairs(t:get("statuses")) do st[k] = (st[k] or 0) + v end
    for k, v in pairs(t:get("codes")) do cd[k] = (cd[k] or 0) + v end
  end
  local e = summary.errors
  io.write(string.format(
    'FLBENCH {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "socket_errors": %d, "statuses": %s, "codes": %s}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, e.connect + e.read + e.write + e.timeout,
    json_map(st), json_map(cd)))
end
