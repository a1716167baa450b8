// Pod events as kubelet records them (type, reason, message, the object they
// are about), kept in order and passed to listeners as they happen (the
// terminal prints them). A repeat counts on from the latest of its kind, as
// kubelet's event aggregation does.
import type { Clock } from './clock'

export type EventType = 'Normal' | 'Warning'

export interface PodEvent {
  type: EventType
  reason: string
  message: string
  /** e.g. `spec.containers{web}`, as kubectl describe shows involvedObject.fieldPath; empty for the pod */
  fieldPath: string
  time: Date
  /** how many times this same event happened (kubelet aggregates repeats) */
  count: number
}

export type EventListener = (event: PodEvent) => void

export class EventRecorder {
  readonly events: PodEvent[] = []
  private readonly listeners: EventListener[] = []

  constructor(private readonly clock: Clock) {}

  onEvent(listener: EventListener): void {
    this.listeners.push(listener)
  }

  record(type: EventType, reason: string, message: string, fieldPath = ''): PodEvent {
    let last: PodEvent | undefined
    for (let i = this.events.length - 1; i >= 0 && last === undefined; i--) {
      const e = this.events[i]
      if (e.type === type && e.reason === reason && e.message === message && e.fieldPath === fieldPath) last = e
    }
    const event: PodEvent = { type, reason, message, fieldPath, time: this.clock.now(), count: (last?.count ?? 0) + 1 }
    this.events.push(event)
    for (const listener of this.listeners) listener(event)
    return event
  }

  normal(reason: string, message: string, fieldPath = ''): PodEvent {
    return this.record('Normal', reason, message, fieldPath)
  }

  warning(reason: string, message: string, fieldPath = ''): PodEvent {
    return this.record('Warning', reason, message, fieldPath)
  }
}

/** kubelet's fieldPath for a container: spec.containers{name} / spec.initContainers{name} */
export function containerFieldPath(name: string, isInit: boolean): string {
  return `${isInit ? 'spec.initContainers' : 'spec.containers'}{${name}}`
}
