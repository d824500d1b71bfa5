-- Prosody 0.12 configuration for the MUC benchmark (scripts/bench, SCENARIOS=muc; loopback
-- only). The harness's ../shared/bench/configs/prosody/prosody.cfg.lua plus a MUC component:
-- same data path (the accounts user1..userN, password pw, are shared with the harness's
-- runs), certificates and module set, so the figures compare with its c2s figures.
pidfile = "/tmp/bench-prosody/prosody.pid"
data_path = "/tmp/bench-prosody/data"
log = { warn = "/tmp/bench-prosody/prosody-muc.log" }
admins = { }

-- roster, SASL, STARTTLS, disco, ping (+ autoloaded presence/message/iq/offline/c2s).
modules_enabled = { "roster"; "saslauth"; "tls"; "disco"; "ping"; }
modules_disabled = { "s2s"; }
-- mod_limits (c2s rate limiting) is NOT loaded: no traffic shaping for the benchmark.

allow_registration = false
authentication = "internal_hashed"   -- SCRAM-SHA-1 credentials stored hashed
storage = "internal"

c2s_ports = { 5222 }
c2s_interfaces = { "127.0.0.1" }
s2s_ports = { }
component_ports = { }
http_ports = { }
https_ports = { }

network_backend = "epoll"
network_settings = { tcp_backlog = 1024 }

c2s_require_encryption = false
allow_unencrypted_plain_auth = true  -- loopback benchmark only

certificates = "/tmp/bench-certs"
ssl = { certificate = "/tmp/bench-certs/bench.crt"; key = "/tmp/bench-certs/bench.key"; }

VirtualHost "bench.local"

-- The room bench@conference.bench.local is created by the benchmark's first occupant
-- (locked until it accepts the default configuration: an instant room, XEP-0045 §10.1.2),
-- temporary, not archived (mod_muc_mam not loaded), no occupant limit.
Component "conference.bench.local" "muc"
    restrict_room_creation = false
    max_history_messages = 5          -- the joins ask for none (maxstanzas='0')
    muc_room_default_history_length = 5
