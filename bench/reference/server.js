// The Node socket.io reference for `python -m bench reference`: the same protocol the
// Python protocol-layer server speaks (bench/reference/pyserver.py), with no database.
//   handshake: auth {token} verified as HS256 with JWT_SECRET, socket joins user:<sub>
//   vitals:send {patient_id, seq, ts, readings} -> emit vitals:reading to patient:<id>, ack {ok, data: {seq}}
//   vitals:watch {patient_id} -> join patient:<id>, ack {ok: true}
"use strict";
const http = require("http");
const { Server } = require("socket.io");
const jwt = require("jsonwebtoken");

const port = parseInt(process.env.PORT || "0", 10);
const secret = process.env.JWT_SECRET;
if (!secret) { console.error("JWT_SECRET is required"); process.exit(2); }
const transports = (process.env.TRANSPORTS || "polling,websocket").split(",");

const httpServer = http.createServer((req, res) => {
  if (req.url === "/health") { res.writeHead(200); res.end("ok"); return; }
  res.writeHead(404); res.end();
});
const io = new Server(httpServer, { transports, cors: { origin: "*" } });

function onConnection(socket) {
  socket.join(`user:${socket.data.sub}`);
  socket.on("vitals:send", (msg, ack) => {
    if (!msg || typeof msg.patient_id !== "string") {
      if (typeof ack === "function") ack({ ok: false, error: { code: "invalid", message: "patient_id" } });
      return;
    }
    io.of(socket.nsp.name).to(`patient:${msg.patient_id}`).emit("vitals:reading", msg);
    if (typeof ack === "function") ack({ ok: true, data: { seq: msg.seq } });
  });
  socket.on("vitals:watch", (msg, ack) => {
    socket.join(`patient:${msg && msg.patient_id}`);
    if (typeof ack === "function") ack({ ok: true, data: null });
  });
}

function auth(socket, next) {
  const token = socket.handshake.auth && socket.handshake.auth.token;
  if (!token) { const e = new Error("token_missing"); e.data = { code: "token_missing" }; return next(e); }
  try {
    const claims = jwt.verify(token, secret, { algorithms: ["HS256"] });
    if (claims.type !== "access") throw new Error("not an access token");
    socket.data.sub = claims.sub;
    socket.data.role = claims.role;
    next();
  } catch (err) {
    const e = new Error("token_invalid"); e.data = { code: "token_invalid" }; next(e);
  }
}

for (const ns of ["/", "/devices"]) {
  io.of(ns).use(auth);
  io.of(ns).on("connection", onConnection);
}

httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
process.on("SIGTERM", () => { io.close(); process.exit(0); });
