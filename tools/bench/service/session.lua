-- wrk script for the casevault serve benchmark: every request carries the
-- logged-in session cookie (environment CV_COOKIE, "cv_session=..."), every
-- answer that is not a 200 is counted (wrk itself only counts non-2xx/3xx,
-- and a 303 to /login would otherwise pass for a fast success), and done()
-- prints one JSON line with the figures (prefix "CVBENCH ").
local cookie = os.getenv("CV_COOKIE")
if cookie == nil or cookie == "" then
  io.stderr:write("session.lua: set CV_COOKIE\n")
  os.exit(2)
end
wrk.method = "GET"
wrk.headers["Cookie"] = cookie
wrk.headers["Accept"] = os.getenv("CV_ACCEPT") or "text/html,application/json"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  responses = 0
  first_bad = ""
  bytes_min = -1
end

function response(status, headers, body)
  responses = responses + 1
  if status ~= 200 then
    non200 = non200 + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. (headers["Location"] or headers["location"] or "")
    end
  end
  local n = body and #body or 0
  if bytes_min < 0 or n < bytes_min then
    bytes_min = n
  end
end

function done(summary, latency, requests)
  local bad, seen, first, minb = 0, 0, "", -1
  for _, t in ipairs(threads) do
    bad = bad + (t:get("non200") or 0)
    seen = seen + (t:get("responses") or 0)
    local fb = t:get("first_bad") or ""
    if first == "" and fb ~= "" then first = fb end
    local b = t:get("bytes_min") or -1
    if b >= 0 and (minb < 0 or b < minb) then minb = b end
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'CVBENCH {"requests":%d,"seconds":%.3f,"rps":%.1f,"bytes":%d,"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,' ..
    '"max_ms":%.3f,"mean_ms":%.3f,"non200":%d,"responses":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"min_body":%d,"first_bad":"%s"}\n',
    summary.requests, secs, summary.requests / secs, summary.bytes,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, latency.mean / 1000, bad, seen, e.connect, e.read, e.write, e.status, e.timeout, minb,
    first:gsub('"', "'")))
end
