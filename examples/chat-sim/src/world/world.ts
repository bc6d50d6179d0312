/**
 * The simulated bot's world: its chats, the people in them, its emoji, and the stream of
 * incoming messages. Deterministic for a given seed and tag.
 */
import { chatStreamId, personId } from '@botdb/core';
import type { WorkloadOptions } from '../options.js';
import { Random, Zipf } from './random.js';

/** The platform every simulated chat is on. */
export const PLATFORM = 'qq';

/** A person the bot knows. */
export interface SimPerson {
  readonly index: number;
  readonly userId: string;
  readonly personId: string;
  readonly nickname: string;
}

/** A chat stream: a group with members, or a private chat with one person. */
export interface SimChat {
  readonly index: number;
  readonly kind: 'group' | 'private';
  readonly streamId: string;
  readonly groupId: string | null;
  readonly groupName: string | null;
  /** The people who speak here, most active first (a private chat has one). */
  readonly members: readonly SimPerson[];
  readonly createTime: number;
}

/** A registered emoji. */
export interface SimEmoji {
  readonly hash: string;
  readonly path: string;
  readonly emotion: string;
}

/** One incoming message and what the bot will do with it. */
export interface MessageEvent {
  /** Sequence number in this run, from 1. */
  readonly seq: number;
  readonly messageId: string;
  readonly chat: SimChat;
  readonly sender: SimPerson;
  readonly text: string;
  /** The bot replies: it calls an LLM (an LLMUsage row) and records the action. */
  readonly reply: boolean;
  /** The bot looks this emoji up by hash. */
  readonly emoji: SimEmoji | null;
  /** LLM token counts for a reply. */
  readonly promptTokens: number;
  readonly completionTokens: number;
}

const WORDS = ['hello', 'botdb', 'fast', 'chat', 'group', 'anyone', 'lunch', 'today', 'game', 'tonight', 'why', 'lol', 'ok', 'nice', 'meme', 'update', 'bot', 'please', 'thanks', 'see'];
const EMOTIONS = ['happy', 'sad', 'angry', 'surprised', 'sleepy', 'smug', 'confused'];

function hex(random: Random, length: number): string {
  let out = '';
  while (out.length < length) out += Math.floor(random.next() * 0x100000000).toString(16).padStart(8, '0');
  return out.slice(0, length);
}

/** The chats, people and emoji of one simulation, and its message generator. */
export class World {
  readonly people: readonly SimPerson[];
  readonly chats: readonly SimChat[];
  readonly emojis: readonly SimEmoji[];
  /** Wall-clock second the world was created; history lies before it. */
  readonly epoch: number;
  private readonly random: Random;
  private readonly chatZipf: Zipf;
  private readonly emojiZipf: Zipf;
  private readonly senderZipf = new Map<number, Zipf>();
  private seq = 0;

  constructor(readonly options: Readonly<WorkloadOptions>) {
    const o = options;
    const setup = new Random(o.seed);
    this.epoch = Math.floor(Date.now() / 1000);
    this.people = Array.from({ length: o.people }, (_, i) => {
      const userId = `${o.tag}u${i}`;
      return Object.freeze({ index: i, userId, personId: personId(PLATFORM, userId), nickname: `user${i}` });
    });
    // Popular people speak in many groups: members are drawn from one global popularity.
    const peopleZipf = new Zipf(o.people, 1);
    const groups = Math.round(o.chats * o.groupShare);
    if (o.chats - groups > o.people) throw new RangeError(`${o.chats - groups} private chats need as many people; people is ${o.people}.`);
    const privateWith = new Set<number>();
    this.chats = Array.from({ length: o.chats }, (_, i) => {
      // Interleave groups and private chats so both appear among the busiest chats.
      const isGroup = groups === o.chats || (groups > 0 && Math.floor(((i + 1) * groups) / o.chats) > Math.floor((i * groups) / o.chats));
      const createTime = this.epoch - 86_400 * (1 + setup.int(365));
      if (!isGroup) {
        // One private chat per person: the stream id is derived from the user id alone.
        let p = peopleZipf.sample(setup);
        for (let tries = 0; privateWith.has(p) && tries < 20; tries++) p = peopleZipf.sample(setup);
        while (privateWith.has(p)) p = (p + 1) % o.people;
        privateWith.add(p);
        const person = this.people[p]!;
        return Object.freeze({ index: i, kind: 'private', streamId: chatStreamId({ platform: PLATFORM, userId: person.userId }), groupId: null, groupName: null, members: [person], createTime });
      }
      const want = Math.min(o.membersPerGroup, o.people);
      const chosen = new Set<number>();
      // Bounded retries: with a steep popularity curve the tail is rarely drawn, so top up uniformly.
      for (let tries = 0; chosen.size < want && tries < want * 20; tries++) chosen.add(peopleZipf.sample(setup));
      for (let p = 0; chosen.size < want; p++) chosen.add(p);
      const groupId = `${o.tag}g${i}`;
      return Object.freeze({ index: i, kind: 'group', streamId: chatStreamId({ platform: PLATFORM, groupId }), groupId, groupName: `group ${i}`, members: [...chosen].map((p) => this.people[p]!), createTime });
    });
    this.emojis = Array.from({ length: o.emojis }, (_, i) => {
      const hash = hex(setup, 64);
      return Object.freeze({ hash, path: `data/emoji/${o.tag}/${i}.png`, emotion: EMOTIONS[i % EMOTIONS.length]! });
    });
    this.chatZipf = new Zipf(o.chats, o.chatSkew);
    this.emojiZipf = new Zipf(o.emojis, o.emojiSkew);
    this.random = new Random(o.seed ^ 0x5bd1e995);
  }

  /** The next incoming message. */
  next(): MessageEvent {
    const r = this.random;
    const chat = this.chats[this.chatZipf.sample(r)]!;
    const sender = chat.members.length === 1 ? chat.members[0]! : chat.members[this.senderZipfFor(chat.members.length).sample(r)]!;
    const seq = ++this.seq;
    const words = 2 + r.int(12);
    let text = '';
    for (let w = 0; w < words; w++) text += (w ? ' ' : '') + r.pick(WORDS);
    return {
      seq,
      messageId: `sim-${this.options.tag}-${seq}`,
      chat,
      sender,
      text,
      reply: r.chance(this.options.replyShare),
      emoji: r.chance(this.options.emojiShare) ? this.emojis[this.emojiZipf.sample(r)]! : null,
      promptTokens: 600 + r.int(1800),
      completionTokens: 20 + r.int(300),
    };
  }

  /** How many messages `next()` has produced. */
  get produced(): number {
    return this.seq;
  }

  private senderZipfFor(n: number): Zipf {
    let z = this.senderZipf.get(n);
    if (z === undefined) {
      z = new Zipf(n, this.options.senderSkew);
      this.senderZipf.set(n, z);
    }
    return z;
  }
}
