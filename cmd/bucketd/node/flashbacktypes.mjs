// Flashback's own TypeScript client, and the types it promises its callers, read with the
// TypeScript compiler API so that the tests check every answer against the client's interfaces
// themselves rather than a copy of them that could drift.
//
// The client is found at BUCKETD_FLASHBACK_CLIENT (node_test.go sets it; see docs/testing.md).
// Its dist/api holds the built client the tests run and the declarations its build emitted from
// its src/api/types, so the method a test calls and the type its answer is checked against come
// from the same build.
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import path from "node:path";
import ts from "typescript";

const clientDir = (() => {
  const dir = process.env.BUCKETD_FLASHBACK_CLIENT;
  if (!dir) {
    throw new Error("BUCKETD_FLASHBACK_CLIENT is not set: run the Node tests through go test ./cmd/bucketd (see docs/testing.md)");
  }
  return dir;
})();
const distDir = path.join(clientDir, "dist", "api");

/** The built client: ApiClient, HttpError and the enums its types use. */
export const flashback = /** @type {any} */ (createRequire(import.meta.url)(path.join(distDir, "index.js")));

const program = ts.createProgram([path.join(distDir, "index.d.ts")], {
  strict: true,
  noEmit: true,
  skipLibCheck: true,
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.CommonJS,
  moduleResolution: ts.ModuleResolutionKind.Node10,
  types: [],
  lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
});
const checker = program.getTypeChecker();

/**
 * The interface or type alias a declaration file exports under a name.
 * @param {string} file the file under dist/api/types, without extension (e.g. "platform/auth")
 * @param {string} name
 * @returns {ts.Type}
 */
function exportedType(file, name) {
  const source = program.getSourceFile(path.join(distDir, "types", `${file}.d.ts`));
  assert.ok(source, `Flashback's client has no types/${file}.d.ts`);
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const symbol = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === name);
  assert.ok(symbol, `Flashback's client's types/${file} exports no ${name}`);
  return checker.getDeclaredTypeOfSymbol(symbol);
}

/**
 * What a method of ApiClient resolves to: the T of the Promise<T> it returns.
 * @param {string} method
 * @returns {ts.Type}
 */
function answerType(method) {
  const source = program.getSourceFile(path.join(distDir, "client.d.ts"));
  assert.ok(source, "Flashback's client has no client.d.ts");
  const moduleSymbol = checker.getSymbolAtLocation(source);
  const apiClient = moduleSymbol && checker.getExportsOfModule(moduleSymbol).find((s) => s.name === "ApiClient");
  assert.ok(apiClient, "Flashback's client exports no ApiClient");
  const property = checker.getDeclaredTypeOfSymbol(apiClient).getProperty(method);
  assert.ok(property?.valueDeclaration, `ApiClient has no method ${method}`);
  const [signature] = checker.getTypeOfSymbolAtLocation(property, property.valueDeclaration).getCallSignatures();
  assert.ok(signature, `ApiClient.${method} is not a method`);
  const answer = checker.getAwaitedType(checker.getReturnTypeOfSignature(signature));
  assert.ok(answer, `ApiClient.${method} does not return a promise`);
  return answer;
}

/**
 * The ways value fails to be a T, one line each; none when it is one. A value read from JSON can
 * only be what JSON carries, so a Date is an ISO 8601 string and a property that is absent is
 * undefined; an object may carry more properties than T names, as TypeScript allows.
 * @param {unknown} value
 * @param {ts.Type} type
 * @param {string} at where value is, for the messages
 * @returns {string[]}
 */
function mismatches(value, type, at) {
  const f = type.flags;
  const want = () => [`${at}: ${JSON.stringify(value)} is not ${checker.typeToString(type)}`];
  if (f & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) {
    return [];
  }
  if (type.isUnion()) {
    const each = type.types.map((member) => mismatches(value, member, at));
    return each.some((m) => m.length === 0) ? [] : want();
  }
  if (type.isIntersection()) {
    return type.types.flatMap((member) => mismatches(value, member, at));
  }
  if (type.isStringLiteral() || type.isNumberLiteral()) {
    return value === type.value ? [] : want();
  }
  if (f & ts.TypeFlags.BooleanLiteral) {
    return value === (checker.typeToString(type) === "true") ? [] : want();
  }
  if (f & ts.TypeFlags.Undefined) {
    return value === undefined ? [] : want();
  }
  if (f & ts.TypeFlags.Null) {
    return value === null ? [] : want();
  }
  if (f & (ts.TypeFlags.String | ts.TypeFlags.TemplateLiteral)) {
    return typeof value === "string" ? [] : want();
  }
  if (f & ts.TypeFlags.Number) {
    return typeof value === "number" ? [] : want();
  }
  if (f & ts.TypeFlags.Boolean) {
    return typeof value === "boolean" ? [] : want();
  }
  if (f & ts.TypeFlags.Object) {
    return objectMismatches(value, /** @type {ts.ObjectType} */ (type), at, want);
  }
  return [`${at}: the checker does not know how to check ${checker.typeToString(type)}`];
}

/**
 * mismatches for an object type: an array, a tuple, a Date, or an object with properties and
 * index signatures.
 * @param {unknown} value
 * @param {ts.ObjectType} type
 * @param {string} at
 * @param {() => string[]} want
 * @returns {string[]}
 */
function objectMismatches(value, type, at, want) {
  if (checker.isArrayType(type) || checker.isTupleType(type)) {
    if (!Array.isArray(value)) {
      return want();
    }
    const args = checker.getTypeArguments(/** @type {ts.TypeReference} */ (type));
    if (checker.isTupleType(type) && value.length !== args.length) {
      return want();
    }
    return value.flatMap((v, i) => mismatches(v, checker.isTupleType(type) ? args[i] : args[0], `${at}[${i}]`));
  }
  if (type.getSymbol()?.name === "Date") {
    return typeof value === "string" && !Number.isNaN(Date.parse(value)) ? [] : want();
  }
  if (type.getCallSignatures().length > 0 || value === null || typeof value !== "object" || Array.isArray(value)) {
    return want();
  }
  const record = /** @type {Record<string, unknown>} */ (value);
  const problems = [];
  const named = new Set();
  for (const property of checker.getPropertiesOfType(type)) {
    named.add(property.name);
    const declaration = property.valueDeclaration ?? property.declarations?.[0];
    assert.ok(declaration, `${at}.${property.name} has no declaration`);
    const propertyType = checker.getTypeOfSymbolAtLocation(property, declaration);
    const optional = (property.flags & ts.SymbolFlags.Optional) !== 0;
    if (record[property.name] === undefined) {
      if (!optional) {
        problems.push(`${at}.${property.name} is missing (${checker.typeToString(propertyType)})`);
      }
      continue;
    }
    problems.push(...mismatches(record[property.name], propertyType, `${at}.${property.name}`));
  }
  for (const index of checker.getIndexInfosOfType(type)) {
    for (const [key, v] of Object.entries(record)) {
      if (!named.has(key)) {
        problems.push(...mismatches(v, index.type, `${at}.${key}`));
      }
    }
  }
  return problems;
}

/**
 * Asserts that value is what ApiClient[method] promises to resolve to.
 * @param {string} method
 * @param {unknown} value
 */
export function assertAnswerOf(method, value) {
  const problems = mismatches(value, answerType(method), `${method}()`);
  assert.deepEqual(problems, [], `the answer to ${method} breaks Flashback's client's types:\n${problems.join("\n")}\nanswer: ${JSON.stringify(value)}`);
}

/**
 * Asserts that value is a T, the type file exports as name.
 * @param {string} file under the client's types, without extension (e.g. "platform/auth")
 * @param {string} name
 * @param {unknown} value
 */
export function assertIsA(file, name, value) {
  const problems = mismatches(value, exportedType(file, name), name);
  assert.deepEqual(problems, [], `${JSON.stringify(value)} is not Flashback's ${name}:\n${problems.join("\n")}`);
}

/**
 * Calls ApiClient[method] as an application would and checks what it resolves to against the
 * method's declared type, then returns it.
 * @param {any} client an ApiClient
 * @param {string} method
 * @param {...unknown} args
 * @returns {Promise<any>}
 */
export async function call(client, method, ...args) {
  const answer = await client[method](...args);
  assertAnswerOf(method, answer);
  return answer;
}

/**
 * Calls ApiClient[method], which must fail with the client's HttpError at the given status, and
 * returns the error's body (the client's `data`).
 * @param {any} client an ApiClient
 * @param {number} status
 * @param {string} method
 * @param {...unknown} args
 * @returns {Promise<any>}
 */
export async function refusal(client, status, method, ...args) {
  try {
    const answer = await client[method](...args);
    assert.fail(`${method} succeeded with ${JSON.stringify(answer)}, want HTTP ${status}`);
  } catch (err) {
    if (!(err instanceof flashback.HttpError)) {
      throw err;
    }
    const httpError = /** @type {any} */ (err);
    assert.equal(httpError.status, status, `${method} answered ${httpError.status} ${JSON.stringify(httpError.data)}, want ${status}`);
    return httpError.data;
  }
}

/**
 * How the client's source (src/api/types) and its built declarations (dist/api/types) differ in
 * the interfaces the source declares: for each, its properties and whether each is optional.
 * The tests check answers against the built declarations; an empty answer here shows they say
 * what the source says.
 * @returns {string[]}
 */
export function sourceDeclarationDrift() {
  const srcDir = path.join(clientDir, "src", "api", "types");
  const srcFiles = ts.sys.readDirectory(srcDir, [".ts"]);
  assert.ok(srcFiles.length > 0, `no TypeScript files under ${srcDir}`);
  const srcProgram = ts.createProgram(srcFiles, { noEmit: true, types: [], noResolve: false });
  const srcChecker = srcProgram.getTypeChecker();
  const drift = [];
  for (const file of srcFiles) {
    const relative = path.relative(srcDir, file).replace(/\.ts$/, "");
    const source = srcProgram.getSourceFile(file);
    const built = program.getSourceFile(path.join(distDir, "types", `${relative}.d.ts`));
    if (!source || !built) {
      drift.push(`${relative}: ${source ? "not built" : "not read"}`);
      continue;
    }
    const builtExports = new Map(checker.getExportsOfModule(/** @type {ts.Symbol} */ (checker.getSymbolAtLocation(built))).map((s) => [s.name, s]));
    for (const symbol of srcChecker.getExportsOfModule(/** @type {ts.Symbol} */ (srcChecker.getSymbolAtLocation(source)))) {
      if (!(symbol.flags & ts.SymbolFlags.Interface)) {
        continue;
      }
      const twin = builtExports.get(symbol.name);
      if (!twin) {
        drift.push(`${relative}: ${symbol.name} is not in the built declarations`);
        continue;
      }
      const shape = (/** @type {ts.TypeChecker} */ c, /** @type {ts.Symbol} */ s) =>
        c.getPropertiesOfType(c.getDeclaredTypeOfSymbol(s)).map((p) => `${p.name}${p.flags & ts.SymbolFlags.Optional ? "?" : ""}`).sort().join(", ");
      const [want, got] = [shape(srcChecker, symbol), shape(checker, twin)];
      if (want !== got) {
        drift.push(`${relative}: ${symbol.name} is {${want}} in the source, {${got}} built`);
      }
    }
  }
  return drift;
}
