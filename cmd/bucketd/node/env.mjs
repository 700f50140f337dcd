// The environment the Go tests hand the Node tests.

/**
 * The value of an environment variable the Go test sets; a missing one fails the import, and
 * so every test of the file, with the way to run them.
 * @param {string} name
 * @returns {string}
 */
export function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set: run the Node tests with go test ./cmd/bucketd -run 'TestNode|TestConsole', which starts bucketd, the storage peers and the browser`);
  }
  return value;
}
