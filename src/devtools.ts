// Console API for power users and for the end-to-end tests: `await playground.python()` etc.
// Owned by the sandbox work; filled in as the pool lands.
export {};
