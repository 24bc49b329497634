// How a command file plugs into the program: each exports add<Name>Command(program).
export type { Command } from '@commander-js/extra-typings';
