// The incoming-call ring: a short two-tone beep made with WebAudio, repeated
// while an offer is pending. No audio files (intranet deployments ship none).

const PERIOD_MS = 2000;

export class Ringer {
  constructor() {
    this.ctx = null;
    this.timer = null;
  }

  /** Call from a user gesture (login, a click) so the browser lets the page make sound. */
  unlock() {
    const Ctx = window.AudioContext || window.webkitAudioContext;
    if (!Ctx) return;
    if (!this.ctx) {
      try { this.ctx = new Ctx(); } catch (_) { return; }
    }
    if (this.ctx.state === "suspended") this.ctx.resume().catch(() => {});
  }

  get ringing() {
    return this.timer !== null;
  }

  start() {
    if (this.timer !== null) return;
    this.unlock();
    this._beep();
    this.timer = setInterval(() => this._beep(), PERIOD_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }

  _beep() {
    const ctx = this.ctx;
    if (!ctx || ctx.state !== "running") return;
    const t0 = ctx.currentTime;
    for (const [i, freq] of [[0, 880], [1, 660]]) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "sine";
      osc.frequency.value = freq;
      const start = t0 + i * 0.22;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.2);
      osc.connect(gain).connect(ctx.destination);
      osc.start(start);
      osc.stop(start + 0.21);
    }
  }
}
