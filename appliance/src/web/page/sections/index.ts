/**
 * The status page's sections, top to bottom. To add one: write a file beside this one that
 * exports a `PageSection` (see ../section.ts), import it here and add it to the list.
 */
import type { PageSection } from '../section.js';
import { answer } from './answer.js';
import { services } from './services.js';
import { settings } from './settings.js';
import { phones } from './phones.js';
import { qr } from './qr.js';
import { nearby } from './nearby.js';
import { names } from './names.js';
import { boxes } from './boxes.js';
import { proxy } from './proxy.js';
import { turn } from './turn.js';
import { box } from './box.js';
import { image } from './image.js';
import { storage } from './storage.js';
import { jamiDns } from './jami-dns.js';

export const SECTIONS: readonly PageSection[] = [answer, services, settings, jamiDns, qr, phones, proxy, nearby, names, boxes, turn, box, image, storage];
