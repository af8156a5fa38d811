// Types for the `espeak-ng` npm package (an Emscripten build that ships none): only the part of
// the generated module factory that the speech engine uses.
declare module 'espeak-ng' {
  export interface ESpeakModule {
    FS: {
      writeFile(path: string, data: string | Uint8Array): void;
      readFile(path: string): Uint8Array;
    };
  }

  export interface ESpeakOptions {
    /** The command line: the module runs `main` with these as soon as it is instantiated. */
    arguments: string[];
    /** Run before `main`, once the in-memory file system exists. */
    preRun?: ((module: ESpeakModule) => void)[];
    print?: (line: string) => void;
    printErr?: (line: string) => void;
    /** Replaces the default exit hook, which would set `process.exitCode` for the whole process. */
    quit?: (status: number, toThrow: unknown) => void;
  }

  export default function createESpeak(options: ESpeakOptions): Promise<ESpeakModule>;
}
