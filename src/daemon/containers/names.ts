// Container names: Docker's validation rule and its "adjective_surname" generator.
import crypto from 'node:crypto';
import { invalidArgument } from '../../errdefs/index.js';

export const VALID_NAME = /^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

/** "/name" for a user-given name, or Docker's 400 for a bad one. */
export function normalizeName(raw: string): string {
  if (!VALID_NAME.test(raw)) throw invalidArgument(`Invalid container name (${raw}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  return raw.startsWith('/') ? raw : `/${raw}`;
}

const LEFT = [
  'admiring', 'adoring', 'affectionate', 'agitated', 'amazing', 'angry', 'awesome', 'beautiful', 'blissful', 'bold', 'boring',
  'brave', 'busy', 'charming', 'clever', 'compassionate', 'competent', 'condescending', 'confident', 'cool', 'cranky', 'crazy',
  'dazzling', 'determined', 'distracted', 'dreamy', 'eager', 'ecstatic', 'elastic', 'elated', 'elegant', 'eloquent', 'epic',
  'exciting', 'fervent', 'festive', 'flamboyant', 'focused', 'friendly', 'frosty', 'funny', 'gallant', 'gifted', 'goofy',
  'gracious', 'great', 'happy', 'hardcore', 'heuristic', 'hopeful', 'hungry', 'infallible', 'inspiring', 'intelligent',
  'interesting', 'jolly', 'jovial', 'keen', 'kind', 'laughing', 'loving', 'lucid', 'magical', 'modest', 'musing', 'mystifying',
  'naughty', 'nervous', 'nice', 'nifty', 'nostalgic', 'objective', 'optimistic', 'peaceful', 'pedantic', 'pensive', 'practical',
  'priceless', 'quirky', 'quizzical', 'recursing', 'relaxed', 'reverent', 'romantic', 'sad', 'serene', 'sharp', 'silly',
  'sleepy', 'stoic', 'strange', 'stupefied', 'suspicious', 'sweet', 'tender', 'thirsty', 'trusting', 'unruffled', 'upbeat',
  'vibrant', 'vigilant', 'vigorous', 'wizardly', 'wonderful', 'xenodochial', 'youthful', 'zealous', 'zen',
];
const RIGHT = [
  'agnesi', 'albattani', 'allen', 'archimedes', 'ardinghelli', 'babbage', 'banach', 'bardeen', 'bartik', 'bell', 'bhabha',
  'blackwell', 'bohr', 'booth', 'borg', 'bose', 'brahmagupta', 'brattain', 'brown', 'carson', 'cerf', 'chandrasekhar',
  'chatelet', 'clarke', 'colden', 'cori', 'curie', 'darwin', 'davinci', 'dijkstra', 'driscoll', 'dubinsky', 'easley',
  'einstein', 'elion', 'engelbart', 'euclid', 'euler', 'faraday', 'fermat', 'fermi', 'feynman', 'franklin', 'galileo',
  'gauss', 'goldberg', 'goodall', 'hamilton', 'hawking', 'heisenberg', 'hertz', 'hodgkin', 'hopper', 'hypatia', 'jackson',
  'jang', 'jennings', 'johnson', 'joliot', 'kalam', 'keller', 'kepler', 'knuth', 'kowalevski', 'lalande', 'lamarr',
  'leakey', 'leavitt', 'lovelace', 'lumiere', 'mahavira', 'mayer', 'mccarthy', 'mcclintock', 'meitner', 'mendel',
  'mirzakhani', 'montalcini', 'moore', 'morse', 'napier', 'nash', 'newton', 'nobel', 'noether', 'pare', 'pasteur',
  'payne', 'perlman', 'pike', 'poincare', 'ptolemy', 'raman', 'ramanujan', 'ride', 'ritchie', 'rosalind', 'sammet',
  'shannon', 'shockley', 'sinoussi', 'snyder', 'stonebraker', 'swanson', 'tesla', 'thompson', 'torvalds', 'turing',
  'varahamihira', 'visvesvaraya', 'wescoff', 'wiles', 'williams', 'wilson', 'wing', 'wozniak', 'wright', 'yalow', 'yonath',
];

export function randomName(retry: number): string {
  const pick = (a: readonly string[]): string => a[crypto.randomInt(a.length)] ?? 'x';
  let name = `${pick(LEFT)}_${pick(RIGHT)}`;
  if (name === 'boring_wozniak') name = 'boring_turing'; // Steve Wozniak is not boring (moby)
  return retry > 0 ? `${name}${crypto.randomInt(10)}` : name;
}
