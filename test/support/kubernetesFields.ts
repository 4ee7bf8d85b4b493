/**
 * Fields the Kubernetes API does not define. The JSON schemas compiled into `kubernetes-models`
 * check types, formats and required fields but allow unknown properties, so a misspelt field
 * (`readinesProbe`) would pass them and be dropped silently by the API server. The same package's
 * type declarations list every field of every object: this walks a manifest along them with the
 * TypeScript checker and reports each property that has no declaration.
 */
import { join } from "node:path"
import ts from "typescript"
import { isObj, type Obj, root } from "./manifest"

const typeName = (doc: Obj) => `kubernetes-models/${String(doc.apiVersion)}/${String(doc.kind)}`

export const unknownFields = (docs: ReadonlyArray<Obj>): Array<string> => {
  const modules = [...new Set(docs.map(typeName))]
  const fileName = join(root, "test", "__kubernetes_types__.ts")
  const source = modules
    .map((module, i) => `import type { I${module.split("/").at(-1)} as T${i} } from "${module}"\nexport declare const v${i}: T${i}`)
    .join("\n")
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.Preserve,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: []
  }
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile
  host.getSourceFile = (name, language, ...rest) =>
    name === fileName ? ts.createSourceFile(name, source, language) : getSourceFile.call(host, name, language, ...rest)
  const fileExists = host.fileExists
  host.fileExists = (name) => name === fileName || fileExists.call(host, name)
  const program = ts.createProgram([fileName], options, host)
  const checker = program.getTypeChecker()
  const file = program.getSourceFile(fileName)!
  const unresolved = ts.getPreEmitDiagnostics(program, file)
  if (unresolved.length > 0) {
    throw new Error(unresolved.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"))
  }
  const exported = checker.getExportsOfModule(checker.getSymbolAtLocation(file)!)
  const typeOf = new Map(modules.map((module, i) => {
    const symbol = exported.find((s) => s.name === `v${i}`)!
    return [module, checker.getTypeOfSymbol(symbol)]
  }))

  const found: Array<string> = []
  const visit = (value: unknown, declared: ts.Type, path: string) => {
    const type = checker.getNonNullableType(declared)
    if (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) return
    if (Array.isArray(value)) {
      const element = checker.getIndexTypeOfType(type, ts.IndexKind.Number)
      if (element) value.forEach((item, i) => visit(item, element, `${path}[${i}]`))
      return
    }
    if (!isObj(value)) return
    // maps such as labels, annotations and ConfigMap data
    const byString = checker.getIndexTypeOfType(type, ts.IndexKind.String)
    for (const [key, child] of Object.entries(value)) {
      const property = type.getProperty(key)
      if (property) visit(child, checker.getTypeOfSymbol(property), `${path}.${key}`)
      else if (byString) visit(child, byString, `${path}.${key}`)
      else found.push(`${path}.${key}`)
    }
  }
  for (const doc of docs) {
    const metadata = isObj(doc.metadata) ? doc.metadata : {}
    visit(doc, typeOf.get(typeName(doc))!, `${String(doc.kind)}/${String(metadata.name)}`)
  }
  return found
}
