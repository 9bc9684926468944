/** Words and numbers as people read them. Pure; times are shown in UTC so tests are stable. */
import type { Profile } from '../../config/schema.ts';
import { memoryInWords } from '../../notebook-spec/memory-words.ts';

/** "about 20 seconds", "about 3 minutes". */
export function aboutDuration(ms: number): string {
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 90) return `about ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.round(seconds / 60);
  return `about ${minutes} minutes`;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** "25 Nov 2026, 22:54 UTC". */
export function formatTime(d: Date): string {
  return `${d.getUTCDate()} ${months[d.getUTCMonth()] ?? ''} ${d.getUTCFullYear()}, ${two(d.getUTCHours())}:${two(d.getUTCMinutes())} UTC`;
}

/** "25 Nov". */
export function formatDay(d: Date): string {
  return `${d.getUTCDate()} ${months[d.getUTCMonth()] ?? ''}`;
}

/** "just now", "5 minutes ago", "3 hours ago", "2 days ago". */
export function ago(d: Date, now: Date): string {
  const minutes = Math.floor((now.getTime() - d.getTime()) / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} minute${minutes === 1 ? '' : 's'} ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} hour${hours === 1 ? '' : 's'} ago`;
  return `${Math.floor(hours / 24)} days ago`;
}

/** "2 CPUs · 4 GB memory", or '' when the profile sets neither. */
export function profileSize(p: Pick<Profile, 'cpu' | 'memory'>): string {
  const cpu =
    p.cpu === undefined
      ? ''
      : p.cpu.endsWith('m')
        ? `${Number(p.cpu.slice(0, -1)) / 1000} CPU`
        : `${p.cpu} CPU${p.cpu === '1' ? '' : 's'}`;
  return [cpu, p.memory ? `${memoryInWords(p.memory)} memory` : ''].filter(Boolean).join(' · ');
}

/** "12 min" under an hour, "3.5 h" above. */
export function formatHours(hours: number): string {
  if (hours < 1) return `${Math.round(hours * 60)} min`;
  return `${Math.round(hours * 10) / 10} h`;
}
