// OCI and Docker v2 manifests, indexes/manifest lists and image configs:
// picking the host's platform out of an index (as containerd's
// platforms.Default), and turning a config into the ImageConfig the
// supervisor merges with the container spec. Pure: bytes in, data out.
// Specs: OCI image-spec manifest.md, image-index.md, config.md; Docker
// "Image Manifest V2, Schema 2".
import type { ImageConfig } from './resolver'

export const MEDIA_TYPES = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
} as const

export const MANIFEST_ACCEPT = [MEDIA_TYPES.ociIndex, MEDIA_TYPES.ociManifest, MEDIA_TYPES.dockerList, MEDIA_TYPES.dockerManifest].join(', ')

const LAYER_TYPES = new Set([
  'application/vnd.oci.image.layer.v1.tar', 'application/vnd.oci.image.layer.v1.tar+gzip', 'application/vnd.oci.image.layer.v1.tar+zstd',
  'application/vnd.docker.image.rootfs.diff.tar', 'application/vnd.docker.image.rootfs.diff.tar.gzip',
])
const FOREIGN_LAYER_TYPES = new Set([
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip', 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
])

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: { os?: string; architecture?: string; variant?: string }
  annotations?: Record<string, string>
}

export interface Platform {
  os: string
  architecture: string
  variant: string | null
}

export interface ParsedManifest {
  config: Descriptor
  layers: Descriptor[]
}

/** the host's platform in OCI terms (GOARCH names) */
export function hostPlatform(arch: string = process.arch): Platform {
  const names: Record<string, [string, string | null]> = {
    x64: ['amd64', null], arm64: ['arm64', 'v8'], arm: ['arm', 'v7'], ia32: ['386', null], ppc64: ['ppc64le', null], s390x: ['s390x', null], riscv64: ['riscv64', null],
  }
  const [architecture, variant] = names[arch] ?? [arch, null]
  return { os: 'linux', architecture, variant }
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant === null ? '' : `/${p.variant}`}`
}

function parseJson(bytes: Buffer, what: string): Record<string, unknown> {
  try {
    const value = JSON.parse(bytes.toString('utf8')) as unknown
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object')
    return value as Record<string, unknown>
  } catch (err) {
    throw new Error(`parse ${what}`, { cause: err })
  }
}

/** the media type of a manifest document: the registry's header, else its own field, else its shape */
export function manifestKind(bytes: Buffer, headerType: string | null): 'index' | 'manifest' {
  const doc = parseJson(bytes, 'manifest')
  const type = (headerType !== null && headerType !== '' && headerType !== 'application/json' ? headerType : null) ?? (doc.mediaType as string | undefined) ?? ''
  if (type === MEDIA_TYPES.ociIndex || type === MEDIA_TYPES.dockerList) return 'index'
  if (type === MEDIA_TYPES.ociManifest || type === MEDIA_TYPES.dockerManifest) return 'manifest'
  if (type === '' && Array.isArray(doc.manifests)) return 'index'
  if (type === '' && Array.isArray(doc.layers)) return 'manifest'
  if (doc.schemaVersion === 1) throw new Error('parse manifest: Docker schema 1 manifests are not supported')
  throw new Error(`parse manifest: media type "${type}" is not a manifest or index`)
}

function descriptor(value: unknown, what: string): Descriptor {
  const d = value as Descriptor
  if (typeof d !== 'object' || d === null || typeof d.digest !== 'string' || typeof d.size !== 'number' || typeof d.mediaType !== 'string') {
    throw new Error(`parse ${what}: descriptor needs mediaType, digest and size`)
  }
  return d
}

export function parseIndex(bytes: Buffer): Descriptor[] {
  const doc = parseJson(bytes, 'image index')
  if (!Array.isArray(doc.manifests)) throw new Error('parse image index: "manifests" is not a list')
  return doc.manifests.map((m, i) => descriptor(m, `image index manifests[${i}]`))
}

/** architecture names other tools use, as containerd's platforms.Normalize maps them */
const ARCH_ALIASES: Record<string, [string, string]> = {
  aarch64: ['arm64', ''], x86_64: ['amd64', ''], 'x86-64': ['amd64', ''], i386: ['386', ''], armhf: ['arm', 'v7'], armel: ['arm', 'v6'],
}

/** as containerd's platforms.Normalize: arm64 without a variant is v8, arm v7, amd64 v1 is plain amd64 */
function normalize(p: { os?: string; architecture?: string; variant?: string | null }): { os: string; architecture: string; variant: string } {
  let architecture = (p.architecture ?? '').toLowerCase()
  let variant = (p.variant ?? '').toLowerCase()
  const alias = ARCH_ALIASES[architecture]
  if (alias !== undefined) [architecture, variant] = [alias[0], variant || alias[1]]
  if (/^[0-9]+$/.test(variant)) variant = `v${variant}`
  if (architecture === 'arm64' && variant === '') variant = 'v8'
  if (architecture === 'arm' && variant === '') variant = 'v7'
  if (architecture === 'amd64' && variant === 'v1') variant = ''
  return { os: (p.os ?? '').toLowerCase(), architecture, variant }
}

/** the variants a host runs, best first: 32-bit arm also runs older ones (containerd's platforms.Only) */
function runnableVariants(host: { architecture: string; variant: string }): string[] {
  if (host.architecture !== 'arm') return [host.variant]
  const level = Number(host.variant.slice(1))
  return ['v8', 'v7', 'v6', 'v5'].filter((v) => Number(v.slice(1)) <= level)
}

/**
 * containerd's platform matching: same os and architecture, and a variant
 * the host runs (an amd64 host without a known level takes only plain
 * amd64, never a v2-v4 build it may not execute); the best variant wins,
 * and among equals the first in the index.
 */
export function selectPlatform(manifests: Descriptor[], want: Platform = hostPlatform()): Descriptor {
  const host = normalize(want)
  const variants = runnableVariants(host)
  const ranked = manifests
    .map((m) => ({ m, p: m.platform === undefined ? null : normalize(m.platform) }))
    .map(({ m, p }) => ({ m, rank: p !== null && p.os === host.os && p.architecture === host.architecture ? variants.indexOf(p.variant) : -1 }))
    .filter(({ rank }) => rank >= 0)
  ranked.sort((a, b) => a.rank - b.rank)
  if (ranked.length === 0) {
    const offered = manifests.map((m) => m.platform === undefined ? 'unknown' : `${m.platform.os}/${m.platform.architecture}${m.platform.variant ? `/${m.platform.variant}` : ''}`)
    throw new Error(`select platform "${formatPlatform(want)}": the index offers only ${offered.map((p) => `"${p}"`).join(', ') || 'nothing'}`)
  }
  return ranked[0].m
}

export function parseManifest(bytes: Buffer): ParsedManifest {
  const doc = parseJson(bytes, 'image manifest')
  const config = descriptor(doc.config, 'image manifest config')
  if (!Array.isArray(doc.layers)) throw new Error('parse image manifest: "layers" is not a list')
  const layers = doc.layers.map((l, i) => descriptor(l, `image manifest layers[${i}]`))
  for (const layer of layers) {
    if (FOREIGN_LAYER_TYPES.has(layer.mediaType)) throw new Error(`parse image manifest: layer "${layer.digest}" is a foreign (non-distributable) layer, which podshim does not fetch`)
    if (!LAYER_TYPES.has(layer.mediaType)) throw new Error(`parse image manifest: layer "${layer.digest}" has unsupported media type "${layer.mediaType}"`)
  }
  return { config, layers }
}

export interface ParsedConfig {
  config: ImageConfig
  diffIds: string[]
  platform: string
  created: string | null
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []
}

export function parseImageConfig(bytes: Buffer): ParsedConfig {
  const doc = parseJson(bytes, 'image config')
  const c = (doc.config ?? {}) as Record<string, unknown>
  const rootfs = doc.rootfs as { type?: string; diff_ids?: unknown } | undefined
  if (rootfs?.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) throw new Error('parse image config: rootfs needs type "layers" and diff_ids')
  const platform = formatPlatform({ os: String(doc.os ?? 'linux'), architecture: String(doc.architecture ?? 'unknown'), variant: typeof doc.variant === 'string' ? doc.variant : null })
  return {
    config: {
      entrypoint: strings(c.Entrypoint),
      cmd: strings(c.Cmd),
      env: strings(c.Env),
      workingDir: typeof c.WorkingDir === 'string' ? c.WorkingDir : '',
      user: typeof c.User === 'string' ? c.User : '',
      // as containerd: an image without StopSignal stops with SIGTERM
      stopSignal: typeof c.StopSignal === 'string' && c.StopSignal !== '' ? c.StopSignal : 'SIGTERM',
    },
    diffIds: strings(rootfs.diff_ids),
    platform,
    created: typeof doc.created === 'string' ? doc.created : null,
  }
}
