// The videojs parsers ship no types; tests read their output loosely.
declare module 'm3u8-parser' {
  export class Parser {
    manifest: any;
    on(event: 'warn' | 'info', listener: (e: { message: string }) => void): void;
    push(chunk: string): void;
    end(): void;
  }
}
declare module 'mpd-parser' {
  export function parse(text: string, options: { manifestUri: string }): any;
}
