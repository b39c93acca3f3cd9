// Module hooks for forbid-compilers.js: resolving tsx, esbuild or typescript throws.

/** A specifier or resolved path that is one of the TypeScript toolchain's packages. */
export const FORBIDDEN = /(?:^|[\\/]node_modules[\\/])(?:tsx|esbuild|@esbuild[\\/][^\\/]+|typescript)(?:[\\/]|$)/;

export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if (FORBIDDEN.test(specifier) || FORBIDDEN.test(decodeURIComponent(resolved.url)))
    throw new Error(`forbidden import: ${specifier} from ${context.parentURL ?? 'the command line'}`);
  return resolved;
}
