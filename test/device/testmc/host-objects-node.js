// Host objects for the invalid-receiver tests on the host simulator: objects that are not sockets. What the
// runtime must do with them (throw as XS does) is the runtime's business, not this file's.
export class HostObject {}
export class HostObjectChunk {}
export class HostBuffer {
	constructor(byteLength = 0) { this.byteLength = byteLength; }
}
