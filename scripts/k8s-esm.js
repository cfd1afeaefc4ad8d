// The Kubernetes API module that cdk8s-plus-30 ships (lib/imports/k8s.js) as an ES module
// esbuild can tree-shake, for the synth snapshot (scripts/build.js). The charts use a handful
// of its 155 classes and 479 functions, but as CommonJS the bundle keeps all of them, and
// `export *` over it (imports/k8s.ts) adds a getter per export: about 6 ms of deserializing on
// every run (README, Performance). The module is jsii's compiled TypeScript, a fixed set of
// statement shapes; each is moved as is, only regrouped. Any other shape throws, and the build
// then bundles the module unchanged.
'use strict';
const ts = require('typescript');

/** `source` (k8s.js) as an ES module; throws on a statement it does not know. */
function k8sAsEsm(source) {
  const sf = ts.createSourceFile('k8s.js', source, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  const text = (node) => source.slice(node.getStart(sf), node.end);
  const lineOf = (node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  const unexpected = (node) =>
    new Error(`unexpected statement in k8s.js at line ${lineOf(node)}: ${text(node).slice(0, 100)}`);
  const isExports = (e) =>
    ts.isPropertyAccessExpression(e) && ts.isIdentifier(e.expression) && e.expression.text === 'exports';
  /** `_n = JSII_RTTI_SYMBOL_1` temporaries, by name. */
  const temporaries = new Map();
  /** Statements that set up one class or enum, by its name, in source order. */
  const groups = new Map();
  const group = (name) => groups.get(name) ?? groups.set(name, []).get(name);
  const kept = [];
  const exported = new Set();

  for (const st of sf.statements) {
    if (ts.isExpressionStatement(st) && ts.isStringLiteral(st.expression) && st.expression.text === 'use strict')
      continue;
    if (ts.isClassDeclaration(st) && st.name) {
      group(st.name.text).push(text(st));
      continue;
    }
    if (ts.isFunctionDeclaration(st) && st.name) {
      kept.push(text(st)); // unused ones are dropped by esbuild
      continue;
    }
    if (ts.isVariableStatement(st)) {
      const decls = st.declarationList.declarations;
      // `var _a, _b, …;`: the temporaries, replaced by what they hold.
      if (decls.every((d) => !d.initializer && ts.isIdentifier(d.name) && temporaryName(d.name.text))) continue;
      // `var X;` before an enum's IIFE.
      if (decls.length === 1 && !decls[0].initializer && ts.isIdentifier(decls[0].name)) {
        group(decls[0].name.text).push(text(st));
        continue;
      }
      // `const JSII_RTTI_SYMBOL_1 = Symbol.for(…)`, `const cdk8s_1 = require("cdk8s")`.
      if (st.declarationList.flags & ts.NodeFlags.Const && decls.length === 1) {
        kept.push(text(st));
        continue;
      }
      throw unexpected(st);
    }
    if (!ts.isExpressionStatement(st)) throw unexpected(st);
    const e = st.expression;
    // Object.defineProperty(exports, "__esModule", { value: true })
    if (
      ts.isCallExpression(e) &&
      e.expression.getText(sf) === 'Object.defineProperty' &&
      e.arguments[0]?.getText(sf) === 'exports'
    )
      continue;
    if (ts.isBinaryExpression(e) && e.operatorToken.kind === ts.SyntaxKind.EqualsToken) {
      const { left, right } = e;
      if (isExports(left)) {
        // exports.A = exports.B = … = void 0
        if (ts.isBinaryExpression(right) || right.getText(sf) === 'void 0') continue;
        // exports.X = X
        if (ts.isIdentifier(right) && right.text === left.name.text) {
          exported.add(right.text);
          continue;
        }
        throw unexpected(st);
      }
      // _n = JSII_RTTI_SYMBOL_1
      if (ts.isIdentifier(left) && temporaryName(left.text) && ts.isIdentifier(right)) {
        temporaries.set(left.text, right.text);
        continue;
      }
      // X[_n] = {…}, X.GVK = {…}
      const target =
        ts.isElementAccessExpression(left) || ts.isPropertyAccessExpression(left) ? left.expression : undefined;
      if (target && ts.isIdentifier(target) && groups.has(target.text)) {
        let s = text(st);
        if (
          ts.isElementAccessExpression(left) &&
          ts.isIdentifier(left.argumentExpression) &&
          temporaries.has(left.argumentExpression.text)
        ) {
          s = `${target.text}[${temporaries.get(left.argumentExpression.text)}]${source.slice(left.end, st.end)}`;
        } else if (ts.isElementAccessExpression(left)) {
          throw unexpected(st);
        }
        group(target.text).push(s);
        continue;
      }
      throw unexpected(st);
    }
    // (function (X) { … })(X || (exports.X = X = {}));
    const enumMatch = /\(\s*([A-Za-z0-9_$]+)\s*\|\|\s*\(exports\.\1\s*=\s*\1\s*=\s*\{\}\)\s*\)\s*;?$/.exec(text(st));
    if (ts.isCallExpression(e) && enumMatch && groups.has(enumMatch[1])) {
      const name = enumMatch[1];
      exported.add(name);
      group(name).push(text(st).replace(/\(exports\.([A-Za-z0-9_$]+)\s*=\s*\1\s*=\s*\{\}\)/, '($1 = {})'));
      continue;
    }
    throw unexpected(st);
  }

  const out = [...kept];
  for (const [name, statements] of groups) {
    // A class or enum with its static members, as one expression esbuild may drop when unused.
    out.push(`var ${name} = /* @__PURE__ */ (() => {\n${statements.join('\n')}\nreturn ${name};\n})();`);
  }
  const missing = [...exported].filter((n) => !groups.has(n) && !kept.some((k) => k.startsWith(`function ${n}(`)));
  if (missing.length > 0) throw new Error(`k8s.js exports ${missing.slice(0, 5).join(', ')} that it does not define`);
  out.push(`export { ${[...exported].join(', ')} };`);
  return { code: out.join('\n'), exported: [...exported] };
}

/** tsc's temporaries: `_a` … `_z`, `_0` … `_130`. */
function temporaryName(name) {
  return /^_[a-z0-9]+$/.test(name);
}

module.exports = { k8sAsEsm };
