-- wrk script: POST /api/v1/ask with a question body taken in turn from a file of JSON bodies,
-- one per line (scripts/load/run.sh writes it from the shared benchmark questions).
-- Usage: wrk -t2 -c16 -d30s -s scripts/load/ask.lua http://127.0.0.1:8080 -- BODIES_FILE

local bodies = {}
local next_id = 0
local threads = {}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

function init(args)
  for line in io.lines(args[1]) do
    if #line > 0 then
      bodies[#bodies + 1] = line
    end
  end
  -- Threads start at different places so that they do not ask the same question together.
  counter = (id or 0) * math.floor(#bodies / 2)
  composed, reused, failed = 0, 0, 0
end

function request()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", "/api/v1/ask", { ["Content-Type"] = "application/json" }, body)
end

function response(status, headers, body)
  -- 201 Created: a newly composed article; 200 OK: an existing article answered.
  if status == 201 then
    composed = composed + 1
  elseif status == 200 then
    reused = reused + 1
  else
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local c, r, f = 0, 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("composed")
    r = r + t:get("reused")
    f = f + t:get("failed")
  end
  io.write(string.format("answers composed %d, reused %d, failed %d\n", c, r, f))
end
