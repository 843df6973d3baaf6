-- ipmon-flow: turn the wasm filter's envelope {"records":[r1, r2, ...]} into one record each.
--
-- Fluent Bit's wasm filter can return only one record per call (fluent-bit-wasm.md §1.2). Extra
-- records due in a log call wait in the module for the next calls; on a heartbeat (or when more
-- than 16 are due at once) everything due comes back packed in one envelope (marked
-- "ipmon_envelope":"1"); a lua filter may return a table of records, which Fluent Bit emits one
-- by one. Return code 2 keeps the envelope's timestamp for each record (the time of the log line
-- or heartbeat that carried them out). The shipped configs hand it only envelopes, retagged by rewrite_tag:
--
--   [FILTER]
--       Name          rewrite_tag
--       Match         fw.*
--       Rule          $ipmon_envelope ^1$ split.ipmon false
--       Emitter_Name  ipmon_envelopes
--
--   [FILTER]
--       Name    lua
--       Match   split.*
--       Script  /opt/ipmon-flow/split.lua
--       Call    split_records
--
-- Runs on LuaJIT (Fluent Bit) and on any Lua 5.1-5.4.

function split_records(tag, timestamp, record)
  local records = record["records"]
  if type(records) ~= "table" then
    return 0, timestamp, record -- not an envelope: leave the record as it is
  end
  return 2, timestamp, records
end
