-- wrk script for the ingest benchmark (used by wrk.py when wrk is installed).
-- Args: <requests file> <thread count>. The file holds pre-signed raw HTTP requests,
-- each as a 10-digit decimal length then the bytes (payloads.py). Thread i sends
-- records i, i+n, i+2n...: every request carries a distinct event id, none is resent.

local threads = {}
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  requests, sent, acked, duplicates, other, exhausted = {}, 0, 0, 0, 0, 0
  local f = assert(io.open(path, "rb"))
  local index = 0
  while true do
    local length = f:read(10)
    if not length then break end
    local raw = f:read(tonumber(length))
    if index % nthreads == tid then requests[#requests + 1] = raw end
    index = index + 1
  end
  f:close()
  io.stderr:write("READY\n")
  io.stderr:flush()
end

function request()
  sent = sent + 1
  if sent > #requests then
    -- Out of pre-signed requests: resend the last one (answered as a duplicate, which
    -- run.py reports as an exhausted pool) and stop this thread.
    exhausted = 1
    wrk.thread:stop()
    return requests[#requests]
  end
  return requests[sent]
end

function response(status, headers, body)
  if status == 200 then
    if body:find('"duplicate":true', 1, true) then
      duplicates = duplicates + 1
    else
      acked = acked + 1
    end
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local acked_total, duplicates_total, other_total, sent_total, exhausted_total = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    acked_total = acked_total + thread:get("acked")
    duplicates_total = duplicates_total + thread:get("duplicates")
    other_total = other_total + thread:get("other")
    sent_total = sent_total + thread:get("sent")
    exhausted_total = exhausted_total + thread:get("exhausted")
  end
  local e = summary.errors
  io.write(string.format(
    '{"tool":"wrk","elapsed_s":%f,"answered":%d,"acked_new":%d,"duplicates":%d,' ..
    '"non_200":%d,"sent":%d,"errors":%d,"exhausted":%d,' ..
    '"latency_ms":{"p50":%f,"p90":%f,"p99":%f,"max":%f}}\n',
    summary.duration / 1e6, summary.requests, acked_total, duplicates_total, other_total,
    sent_total, e.connect + e.read + e.write + e.timeout, exhausted_total,
    latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3))
end
