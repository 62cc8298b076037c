// The agent's side of a call's media: the console is always the ANSWERER.
//
// docs/protocol.md `call.start`, `call.sdp`, `call.ice`: the booth offers with
// `gen` 0 and raises `gen` each time it rebuilds its peer connection (aiortc
// has no ICE restart). Here:
//   * an offer with a higher gen closes the current RTCPeerConnection and is
//     answered on a fresh one ("reconnecting" shows until it connects);
//   * an offer with the current gen is a renegotiation on the same connection;
//   * an offer or candidate with a lower gen is stale and ignored;
//   * every answer and candidate we send carries the gen it belongs to, and a
//     null candidate ends our gathering;
//   * booth candidates are applied only to the connection of their gen (kept
//     until its remote description is set, if they arrive early).
// The controller owns the RTCPeerConnection and the camera; it reports what the
// screen needs through `onChange(fields)` (merged into state.call).
//
// Remote assist (docs/protocol.md `assist.consent`): with the resident's consent the
// booth sends its kiosk screen as a SECOND video track. Video tracks are told apart
// by the order of the video m-lines: the first is the camera, the second the screen
// (`screenStream`, `screenMid`), however the booth adds it (a new gen, or a
// renegotiation of the same one).

const STATS_INTERVAL_MS = 2000;

/** RTCIceServer list from `call.start.ice_servers`, nulls left out (never a default server). */
export function rtcIceServers(servers) {
  return (servers || []).map((s) => {
    const out = { urls: s.urls };
    if (s.username != null) out.username = s.username;
    if (s.credential != null) out.credential = s.credential;
    return out;
  });
}

/** Open camera and microphone; falls back to the microphone alone, then to nothing. */
export async function openLocalMedia(mediaDevices = navigator.mediaDevices) {
  if (!mediaDevices || !mediaDevices.getUserMedia) return { stream: null, error: "unsupported" };
  const video = { width: { ideal: 1280 }, height: { ideal: 720 }, frameRate: { ideal: 25, max: 25 } };
  try {
    return { stream: await mediaDevices.getUserMedia({ video, audio: true }), error: null };
  } catch (err) {
    try {
      const stream = await mediaDevices.getUserMedia({ audio: true });
      return { stream, error: `camera: ${err.name || err}` };
    } catch (err2) {
      return { stream: null, error: `${err.name || err}` };
    }
  }
}

export class CallController {
  /**
   * @param {object} opts
   * @param {(type: string, data: object) => boolean} opts.send  an event to the hub
   * @param {(fields: object) => void} opts.onChange  merged into state.call
   * @param {boolean} opts.relayOnly  iceTransportPolicy "relay" (tests: `?relay=1`)
   */
  constructor({ send, onChange, relayOnly = false, openMedia = openLocalMedia }) {
    this.send = send;
    this.onChange = onChange;
    this.relayOnly = relayOnly;
    this.openMedia = openMedia;
    this._reset();
  }

  _reset() {
    this.callId = null;
    this.iceServers = [];
    this.pc = null;
    this.gen = -1;
    this.remoteReady = false; // remote description of the current gen is set
    this.early = []; // booth candidates of the current gen before remoteReady
    this.localMedia = null; // Promise<{stream, error}>
    this.localStream = null;
    this.statsTimer = null;
    this.prevStats = null;
    this.muted = false;
    this.cameraOff = false;
    this.screenMid = null;
  }

  get active() {
    return this.callId !== null;
  }

  /** `call.start` for the agent: remember the call and open the camera while the offer travels. */
  start(data) {
    if (this.callId && this.callId !== data.call_id) this.finish();
    if (this.callId === data.call_id) return; // re-sent after a resume
    this.callId = data.call_id;
    this.iceServers = rtcIceServers(data.ice_servers);
    this.localMedia = this.openMedia().then((res) => {
      if (this.callId !== data.call_id) {
        if (res.stream) res.stream.getTracks().forEach((t) => t.stop());
        return { stream: null, error: null };
      }
      this.localStream = res.stream;
      this._applyTrackFlags();
      this.onChange({ localStream: res.stream, localMediaError: res.error });
      return res;
    });
    this.onChange({ media: "connecting", gen: -1, remoteStream: null, stats: emptyStats() });
  }

  /** `call.sdp` from the booth. */
  async handleSdp(data) {
    if (data.call_id !== this.callId) return;
    const desc = data.description || {};
    if (desc.type !== "offer") return; // the booth is always the offerer
    if (data.gen < this.gen) return; // an old connection's offer: stale
    try {
      if (data.gen === this.gen && this.pc) {
        await this._renegotiate(this.pc, data.gen, desc);
      } else {
        await this._answerFresh(data.gen, desc);
      }
    } catch (err) {
      console.error("answering gen", data.gen, "failed", err);
      if (data.gen === this.gen) this.onChange({ media: "reconnecting" });
    }
  }

  /** `call.ice` from the booth. */
  async handleIce(data) {
    if (data.call_id !== this.callId || data.gen !== this.gen || !this.pc) return;
    if (!this.remoteReady) {
      this.early.push(data.candidate);
      return;
    }
    await this._addCandidate(this.pc, data.candidate);
  }

  setMuted(muted) {
    this.muted = muted;
    this._applyTrackFlags();
    this.onChange({ muted });
  }

  setCameraOff(off) {
    this.cameraOff = off;
    this._applyTrackFlags();
    this.onChange({ cameraOff: off });
  }

  /** The call is over (`call.ended` or a lost session): close everything. */
  finish() {
    this._closePc();
    if (this.localStream) this.localStream.getTracks().forEach((t) => t.stop());
    this._reset();
  }

  // ------------------------------------------------------------ internals

  async _answerFresh(gen, offer) {
    const rebuilt = this.pc !== null || this.gen >= 0;
    this._closePc();
    this.gen = gen;
    const pc = this._newPc(gen);
    this.screenMid = null;
    this.onChange({ gen, media: rebuilt ? "reconnecting" : "connecting", remoteStream: null,
      screenStream: null, stats: emptyStats() });
    await pc.setRemoteDescription(offer);
    if (pc !== this.pc) return; // superseded by a newer gen meanwhile
    this.remoteReady = true;
    const early = this.early.splice(0);
    for (const c of early) await this._addCandidate(pc, c);
    const { stream } = await this.localMedia;
    if (pc !== this.pc) return;
    if (stream) {
      // addTrack reuses the transceivers the offer created, making them sendrecv;
      // with no stream they stay recvonly and the booth still sends to us.
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
    }
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc !== this.pc) return;
    this._sendAnswer(pc, gen);
  }

  async _renegotiate(pc, gen, offer) {
    await pc.setRemoteDescription(offer);
    if (pc !== this.pc) return;
    await pc.setLocalDescription(await pc.createAnswer());
    if (pc !== this.pc) return;
    this._sendAnswer(pc, gen);
  }

  _sendAnswer(pc, gen) {
    this.send("call.sdp", {
      call_id: this.callId, gen, description: { type: "answer", sdp: pc.localDescription.sdp },
    });
    pc._answerSent = true;
    for (const c of pc._pendingLocal.splice(0)) this._sendCandidate(gen, c);
  }

  _newPc(gen) {
    const config = { iceServers: this.iceServers };
    if (this.relayOnly) config.iceTransportPolicy = "relay";
    const pc = new RTCPeerConnection(config);
    pc._answerSent = false;
    pc._pendingLocal = [];
    pc._remote = new MediaStream();
    this.pc = pc;
    this.remoteReady = false;
    this.early = [];
    this.prevStats = null;

    pc.onicecandidate = (ev) => {
      if (pc !== this.pc) return;
      // An empty candidate string is some browsers' end-of-candidates marker.
      const cand = ev.candidate && ev.candidate.candidate ? ev.candidate : null;
      if (!ev.candidate || cand) {
        if (pc._answerSent) this._sendCandidate(gen, cand);
        else pc._pendingLocal.push(cand);
      }
    };
    pc.ontrack = (ev) => {
      if (pc !== this.pc) return;
      if (ev.track.kind === "video" && videoIndex(pc, ev.transceiver) >= 1) {
        this._screenTrack(pc, ev.track, ev.transceiver);
        return;
      }
      pc._remote.addTrack(ev.track);
      this.onChange({ remoteStream: pc._remote, remoteTracks: pc._remote.getTracks().length });
    };
    pc.onconnectionstatechange = () => {
      if (pc !== this.pc) return;
      const s = pc.connectionState;
      if (s === "connected") this.onChange({ media: "connected" });
      else if (s === "disconnected" || s === "failed") this.onChange({ media: "reconnecting" });
    };
    clearInterval(this.statsTimer);
    this.statsTimer = setInterval(() => this._sampleStats(pc), STATS_INTERVAL_MS);
    return pc;
  }

  /** The booth's kiosk screen (the second video track). */
  _screenTrack(pc, track, transceiver) {
    this.screenMid = transceiver ? transceiver.mid : null;
    const stream = new MediaStream([track]);
    const report = () => {
      if (pc !== this.pc) return;
      const live = track.readyState === "live";
      this.onChange({ screenStream: live ? stream : null, screenMid: this.screenMid });
    };
    track.addEventListener("ended", report);
    report();
  }

  _sendCandidate(gen, cand) {
    const candidate = cand ? {
      candidate: cand.candidate,
      sdpMid: cand.sdpMid ?? null,
      sdpMLineIndex: cand.sdpMLineIndex ?? null,
      usernameFragment: cand.usernameFragment ?? null,
    } : null;
    this.send("call.ice", { call_id: this.callId, gen, candidate });
  }

  async _addCandidate(pc, candidate) {
    try {
      // null is the booth's end of candidates.
      await pc.addIceCandidate(candidate ? {
        candidate: candidate.candidate,
        sdpMid: candidate.sdpMid ?? undefined,
        sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
        usernameFragment: candidate.usernameFragment ?? undefined,
      } : null);
    } catch (err) {
      console.warn("candidate refused", err);
    }
  }

  _closePc() {
    clearInterval(this.statsTimer);
    this.statsTimer = null;
    const pc = this.pc;
    this.pc = null;
    this.remoteReady = false;
    if (pc) {
      pc.onicecandidate = pc.ontrack = pc.onconnectionstatechange = null;
      try { pc.close(); } catch (_) { /* already closed */ }
    }
  }

  _applyTrackFlags() {
    if (!this.localStream) return;
    for (const t of this.localStream.getAudioTracks()) t.enabled = !this.muted;
    for (const t of this.localStream.getVideoTracks()) t.enabled = !this.cameraOff;
  }

  async _sampleStats(pc) {
    if (pc !== this.pc) return;
    let report;
    try { report = await pc.getStats(); } catch (_) { return; }
    if (pc !== this.pc) return;
    const stats = summarize(report, this.prevStats, performance.now(), this.screenMid);
    this.prevStats = stats._raw;
    delete stats._raw;
    this.onChange({ stats });
  }
}

/** Position of `transceiver` among the connection's video transceivers (m-line order). */
export function videoIndex(pc, transceiver) {
  if (!transceiver) return 0;
  const video = pc.getTransceivers().filter((t) => t.receiver && t.receiver.track
    && t.receiver.track.kind === "video");
  const i = video.indexOf(transceiver);
  return i < 0 ? 0 : i;
}

export function emptyStats() {
  return { lossPct: null, rttMs: null, kbps: null, framesDecoded: 0, screenFrames: 0, quality: "unknown",
    path: null };
}

/**
 * Reduce an RTCStatsReport to what the quality panel shows (deltas against `prev`).
 * The camera's inbound video is the one not on `screenMid`; the screen share's
 * decoded frames are reported apart (`screenFrames`).
 */
export function summarize(report, prev, nowMs, screenMid = null) {
  let inbound = null;
  let screen = null;
  let transport = null;
  let remoteRtt = null; // RTCP-based, where the pair has no currentRoundTripTime (Firefox)
  const pairs = [];
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && (s.kind || s.mediaType) === "video") {
      if (screenMid !== null && s.mid === screenMid) screen = s;
      else if (!inbound) inbound = s;
    } else if (s.type === "transport") transport = s;
    else if (s.type === "candidate-pair") pairs.push(s);
    else if (s.type === "remote-inbound-rtp" && typeof s.roundTripTime === "number") remoteRtt = s.roundTripTime;
  });
  let pair = transport && transport.selectedCandidatePairId ? report.get(transport.selectedCandidatePairId) : null;
  if (!pair) pair = pairs.find((p) => p.selected) || pairs.find((p) => p.nominated && p.state === "succeeded") || null;

  const raw = {
    at: nowMs,
    lost: inbound ? Math.max(0, inbound.packetsLost || 0) : 0,
    received: inbound ? inbound.packetsReceived || 0 : 0,
    bytes: inbound ? inbound.bytesReceived || 0 : 0,
  };
  const out = emptyStats();
  out._raw = raw;
  out.framesDecoded = inbound ? inbound.framesDecoded || 0 : 0;
  out.screenFrames = screen ? screen.framesDecoded || 0 : 0;
  if (prev && inbound) {
    const dLost = raw.lost - prev.lost;
    const dRecv = raw.received - prev.received;
    const dt = (raw.at - prev.at) / 1000;
    if (dLost + dRecv > 0) out.lossPct = Math.max(0, (100 * dLost) / (dLost + dRecv));
    else out.lossPct = 0;
    if (dt > 0) out.kbps = Math.max(0, ((raw.bytes - prev.bytes) * 8) / dt / 1000);
  }
  if (pair && typeof pair.currentRoundTripTime === "number") out.rttMs = pair.currentRoundTripTime * 1000;
  else if (remoteRtt !== null) out.rttMs = remoteRtt * 1000;
  if (pair) {
    const local = report.get(pair.localCandidateId);
    const remote = report.get(pair.remoteCandidateId);
    if (local && remote) out.path = `${local.candidateType}→${remote.candidateType}`;
  }
  out.quality = rateQuality(out);
  return out;
}

export function rateQuality({ lossPct, rttMs, framesDecoded }) {
  if (lossPct === null && rttMs === null) return "unknown";
  const loss = lossPct ?? 0;
  const rtt = rttMs ?? 0;
  if (loss < 2 && rtt < 300 && framesDecoded > 0) return "good";
  if (loss < 8 && rtt < 800) return "fair";
  return "poor";
}
