const start = performance.now();
const Time = { get ticks() { return Math.floor(performance.now() - start); } };
export default Time;
