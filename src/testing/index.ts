export { CapturingTransport, type CapturedSend } from './capturing-transport.js';
export { FakeClock, runUntil } from './fake-clock.js';
