// The resolver `podshim run` uses: the built-in image at once, anything else
// through the image store, which is loaded only when a pod names an image
// it holds (the store, tar reader and registry client cost start-up time).
import { BuiltinImageResolver, isHostImage } from './host-image'
import type { ImageResolver, PullPolicy, ResolvedImage } from './resolver'
import type { StoreImageResolver, StoreResolverOptions } from './store-resolver'

export class DefaultImageResolver implements ImageResolver {
  private readonly builtin = new BuiltinImageResolver()
  private store: StoreImageResolver | undefined

  constructor(private readonly options: StoreResolverOptions) {}

  async resolve(image: string, policy: PullPolicy, onProgress?: (message: string) => void): Promise<ResolvedImage> {
    if (isHostImage(image)) return this.builtin.resolve(image)
    this.store ??= new (require('./store-resolver') as typeof import('./store-resolver')).StoreImageResolver(this.options)
    return this.store.resolve(image, policy, onProgress)
  }

  release(image: ResolvedImage): void {
    this.store?.release?.(image)
  }
}
