-- wrk script for bench/submit_burst.py. Each line of the data file is one request:
--   path <TAB> cookie header (or -) <TAB> CSRF token (or -) <TAB> body [<TAB> kind]
-- kind: json (the default: a JSON POST), form (a form POST as htmx sends an answer), get (a page, as htmx
-- fetches the next question). A redirect (3xx) is counted as moved: an answer's POST answers with one.
-- Lines are dealt to the wrk threads round-robin; a thread stops once every one of its lines has an
-- answer and says so by creating the file <data file>.done.<thread id> (wrk itself only ends when its
-- duration is up or on SIGINT, which submit_burst.py sends once every thread is done). Requests a
-- connection asks for after its thread's lines are used up go to /bench/noop/ and are counted apart.
-- Status counts are printed as one JSON line by done().
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  done_file = path .. ".done." .. id
  lines, sent, answered = {}, 0, 0
  created, replayed, moved, other, noops = 0, 0, 0, 0, 0
  -- wrk calls request() once on the first thread before it starts, only to inspect the request, and
  -- sends nothing: that call must not use up a line.
  inspecting = (id == 0)
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == id then
      local p, cookie, token, rest = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
      local body, kind = rest:match("^(.*)\t(%a+)$")
      if not kind then body, kind = rest, "json" end
      local headers = {["Content-Type"] = "application/json", ["Accept"] = "application/json"}
      if kind ~= "json" then
        headers = {["HX-Request"] = "true", ["Accept"] = "text/html"}
        if kind == "form" then headers["Content-Type"] = "application/x-www-form-urlencoded" end
      end
      if cookie ~= "-" then
        headers["Cookie"] = cookie
        headers["X-CSRFToken"] = token
      end
      if kind == "get" then
        table.insert(lines, wrk.format("GET", p, headers))
      else
        table.insert(lines, wrk.format("POST", p, headers, body))
      end
    end
    n = n + 1
  end
end

function request()
  if inspecting then
    inspecting = false
    return lines[1] or wrk.format("GET", "/bench/noop/")
  end
  sent = sent + 1
  if sent > #lines then
    return wrk.format("GET", "/bench/noop/")
  end
  return lines[sent]
end

function response(status, headers, body)
  if status == 204 then
    noops = noops + 1
    return
  end
  answered = answered + 1
  if status == 201 then created = created + 1
  elseif status == 200 then replayed = replayed + 1
  elseif status >= 300 and status < 400 then moved = moved + 1
  else other = other + 1 end
  if answered == #lines then
    local f = io.open(done_file, "w")
    f:close()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local c, r, m, o, nn = 0, 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("created")
    r = r + thread:get("replayed")
    m = m + thread:get("moved")
    o = o + thread:get("other")
    nn = nn + thread:get("noops")
  end
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "max_us": %d, ' ..
    '"created": %d, "replayed": %d, "moved": %d, "other": %d, "noops": %d, "connect_errors": %d, "read_errors": %d, ' ..
    '"write_errors": %d, "timeouts": %d, "status_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    c, r, m, o, nn, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.timeout,
    summary.errors.status))
end
