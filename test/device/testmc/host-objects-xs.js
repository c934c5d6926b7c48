// Host objects for the invalid-receiver tests on XS: the SDK's tools/testmc/hosttest.c gives them native data of
// another kind than a socket's (as tools/testmc/main.js declares them).
export class HostObject extends Native("xs_hostobject_destructor") {
	constructor() { super(); native("xs_hostobject").call(this); }
}
export class HostObjectChunk extends Native("xs_hostobjectchunk_destructor") {
	constructor() { super(); native("xs_hostobjectchunk").call(this); }
}
export class HostBuffer extends Native("xs_hostbuffer_destructor") {
	constructor() { super(); native("xs_hostbuffer").call(this); }
}
