'use strict';

// Preloaded into every n8n process of the tests (NODE_OPTIONS=--require): n8n may
// reach only 127.0.0.1 and ::1. Any other connection or name lookup is refused
// before a packet leaves, and written to $N8N_OUTBOUND_LOG, which the tests read.

const dns = require('dns');
const fs = require('fs');
const net = require('net');

const log = process.env.N8N_OUTBOUND_LOG;
const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost', '::ffff:127.0.0.1']);

const record = (what) => {
  if (log) {
    fs.appendFileSync(log, `${process.pid} ${what}\n`);
  }
};

// Says the guard is in place, so that an empty log cannot mean "not loaded".
record(`loaded ${process.argv.slice(1, 3).join(' ')}`);

const refusal = (host) => {
  const error = new Error(`connection to ${host} refused by the tests' loopback guard`);
  error.code = 'ECONNREFUSED';
  return error;
};

// Where a Socket#connect call goes: net.connect() passes its normalised
// [options, callback] array, direct callers (port, host) or an options object.
// undefined is a Unix socket path (n8n's own IPC), which stays on the machine.
const targetOf = (args) => {
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (first !== null && typeof first === 'object') {
    // Node connects to a path whenever it is truthy (http.Agent passes null).
    return first.path ? undefined : first.host || 'localhost';
  }
  if (typeof first === 'string' && Number.isNaN(Number(first))) {
    return undefined;
  }
  return typeof args[1] === 'string' ? args[1] : 'localhost';
};

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const host = targetOf(args);
  if (host !== undefined && !LOOPBACK.has(host)) {
    record(`connect ${host}`);
    process.nextTick(() => this.destroy(refusal(host)));
    return this;
  }
  return originalConnect.apply(this, args);
};

const originalLookup = dns.lookup;
dns.lookup = function lookup(hostname, ...rest) {
  // An address needs no lookup; connect() judges it.
  if (!LOOPBACK.has(hostname) && net.isIP(hostname) === 0) {
    record(`lookup ${hostname}`);
    const callback = rest[rest.length - 1];
    process.nextTick(() => callback(refusal(hostname)));
    return {};
  }
  return originalLookup.call(this, hostname, ...rest);
};
