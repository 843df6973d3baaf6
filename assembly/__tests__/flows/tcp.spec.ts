import { Flow, FLOW_CLOSED, FLOW_FLIPPED, HISTORY_CAP, tableInit, tableInsert } from "../../flows/flowtable";
import { TH_ACK, TH_FIN, TH_RST, TH_SYN, TH_PUSH } from "../../parse/line";
import {
  addHistory, historyFromText, historyLength, historyText, tcpHistoryLetter, tcpUpdate, tcpConnState, udpConnState, bothEnded,
  connStateName, connStateDescription,
  TCP_INACTIVE, TCP_SYN_SENT, TCP_SYN_ACK_SENT, TCP_PARTIAL, TCP_ESTABLISHED, TCP_CLOSED, TCP_RESET,
  CS_S0, CS_S1, CS_SF, CS_REJ, CS_S2, CS_S3, CS_RSTO, CS_RSTR, CS_RSTOS0, CS_RSTRH, CS_SH, CS_SHR, CS_OTH,
} from "../../flows/tcp";

const KEY = memory.data(40);

const S: u32 = TH_SYN;
const SA: u32 = TH_SYN | TH_ACK;
const A: u32 = TH_ACK;
const AP: u32 = TH_ACK | TH_PUSH;
const AF: u32 = TH_ACK | TH_FIN;
const F: u32 = TH_FIN;
const R: u32 = TH_RST;
const AR: u32 = TH_ACK | TH_RST;
const ORIG = true;
const RESP = false;

/** A fresh, zeroed Flow slot from a new table. */
function fresh(): Flow {
  tableInit(4);
  memory.fill(KEY, 0, 40);
  return tableInsert(KEY, 1);
}

/** One packet the way the engine handles it: history letter, then the state machine. */
function pkt(f: Flow, fromOrig: bool, flags: u32, data: bool = false): bool {
  const letter = tcpHistoryLetter(flags, data);
  if (letter != 0) addHistory(f, letter, fromOrig);
  return tcpUpdate(f, fromOrig, flags, data);
}

const TEXT = memory.data(32);

function history(f: Flow): string {
  return String.UTF8.decodeUnsafe(TEXT, <usize>historyText(f, TEXT));
}

/** Sets a flow's history from text through historyFromText; "!" when it refuses the text. */
function roundTrip(text: string): string {
  const f = fresh();
  const n = String.UTF8.byteLength(text);
  String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, TEXT);
  if (text.charAt(0) == "^") f.flags |= FLOW_FLIPPED;
  if (!historyFromText(f, TEXT, <u32>n)) return "!";
  return history(f);
}

function state(f: Flow, noPayload: bool = true): string {
  return connStateName(tcpConnState(f, noPayload));
}

/** Letter as a one-character string ("" for none). */
function letter(flags: u32, data: bool): string {
  const c = tcpHistoryLetter(flags, data);
  return c == 0 ? "" : String.fromCharCode(c);
}

describe("tcpHistoryLetter", () => {
  it("SYN, SYN-ACK, pure ACK, data", () => {
    expect<string>(letter(S, false)).toBe("S");
    expect<string>(letter(SA, false)).toBe("H");
    expect<string>(letter(A, false)).toBe("A");
    expect<string>(letter(AP, true)).toBe("D");
    expect<string>(letter(A, true)).toBe("D"); // data with ACK gives only D
    expect<string>(letter(0, true)).toBe("D");
    expect<string>(letter(S, true)).toBe("S"); // SYN with data (TFO) gives only S
  });
  it("FIN and RST, with or without ACK", () => {
    expect<string>(letter(F, false)).toBe("F");
    expect<string>(letter(AF, false)).toBe("F");
    expect<string>(letter(AF, true)).toBe("F");
    expect<string>(letter(R, false)).toBe("R");
    expect<string>(letter(AR, false)).toBe("R");
  });
  it("multi-flag packets: I for FIN+RST, Q for SYN+FIN / SYN+RST", () => {
    expect<string>(letter(TH_FIN | TH_RST, false)).toBe("I");
    expect<string>(letter(TH_FIN | TH_RST | TH_ACK, false)).toBe("I");
    expect<string>(letter(TH_SYN | TH_FIN, false)).toBe("Q");
    expect<string>(letter(TH_SYN | TH_RST, false)).toBe("Q");
    expect<string>(letter(TH_SYN | TH_FIN | TH_RST, false)).toBe("I");
  });
  it("nothing for a packet without flags or data", () => {
    expect<string>(letter(0, false)).toBe("");
    expect<string>(letter(TH_PUSH, false)).toBe("");
  });
});

describe("addHistory / historyText / historyFromText", () => {
  it("upper case from the originator, lower case from the responder", () => {
    const f = fresh();
    addHistory(f, 0x53, ORIG);
    addHistory(f, 0x48, RESP);
    addHistory(f, 0x41, ORIG);
    addHistory(f, 0x41, RESP);
    expect<string>(history(f)).toBe("ShAa");
  });
  it("each letter at most once per direction", () => {
    const f = fresh();
    for (let i = 0; i < 3; i++) {
      addHistory(f, 0x53, ORIG);
      addHistory(f, 0x44, ORIG);
      addHistory(f, 0x44, RESP);
      addHistory(f, 0x46, RESP);
      addHistory(f, 0x52, ORIG);
      addHistory(f, 0x49, ORIG);
      addHistory(f, 0x51, RESP);
    }
    expect<string>(history(f)).toBe("SDdfRIq");
  });
  it("the flip marker comes from FLOW_FLIPPED, first", () => {
    const f = fresh();
    f.flags |= FLOW_FLIPPED;
    addHistory(f, 0x48, RESP);
    expect<string>(history(f)).toBe("^h");
  });
  it("holds all sixteen letters in the order they came (HISTORY_CAP)", () => {
    const f = fresh();
    const letters: u32[] = [0x51, 0x49, 0x52, 0x46, 0x44, 0x41, 0x48, 0x53];
    for (let i = 0; i < 8; i++) {
      addHistory(f, letters[i], RESP);
      addHistory(f, letters[i], ORIG);
    }
    expect<u32>(historyLength(f)).toBe(HISTORY_CAP);
    expect<string>(history(f)).toBe("qQiIrRfFdDaAhHsS");
  });
  it("reads Zeek's text back (snapshots of earlier builds store it), and refuses what a log cannot produce", () => {
    expect<string>(roundTrip("ShADadFf")).toBe("ShADadFf");
    expect<string>(roundTrip("^hADFr")).toBe("^hADFr");
    expect<string>(roundTrip("")).toBe("");
    expect<string>(roundTrip("SS")).toBe("!");
    expect<string>(roundTrip("Sx")).toBe("!");
    expect<string>(roundTrip("ShT")).toBe("!");
  });
});

describe("tcpUpdate: endpoint states", () => {
  it("SYN → SYN_SENT; SYN-ACK establishes both; ACK keeps them established", () => {
    const f = fresh();
    pkt(f, ORIG, S);
    expect<u8>(f.origState).toBe(TCP_SYN_SENT);
    expect<u8>(f.respState).toBe(TCP_INACTIVE);
    pkt(f, RESP, SA);
    expect<u8>(f.origState).toBe(TCP_ESTABLISHED);
    expect<u8>(f.respState).toBe(TCP_ESTABLISHED);
    pkt(f, ORIG, A);
    expect<u8>(f.origState).toBe(TCP_ESTABLISHED);
    expect<u8>(f.respState).toBe(TCP_ESTABLISHED);
  });
  it("an originator SYN-ACK gives SYN_ACK_SENT", () => {
    const f = fresh();
    pkt(f, ORIG, SA);
    expect<u8>(f.origState).toBe(TCP_SYN_ACK_SENT);
  });
  it("midstream packets give PARTIAL", () => {
    const f = fresh();
    pkt(f, ORIG, A);
    expect<u8>(f.origState).toBe(TCP_PARTIAL);
    pkt(f, RESP, AP, true);
    expect<u8>(f.respState).toBe(TCP_PARTIAL);
  });
  it("a responder's pure ACK to a SYN leaves it INACTIVE (eccentric TCP)", () => {
    const f = fresh();
    pkt(f, ORIG, S);
    pkt(f, RESP, A);
    expect<u8>(f.respState).toBe(TCP_INACTIVE);
    expect<string>(state(f)).toBe("S0");
  });
  it("a SYN in PARTIAL with an inactive peer restarts as SYN_SENT", () => {
    const f = fresh();
    pkt(f, ORIG, A);
    pkt(f, ORIG, S);
    expect<u8>(f.origState).toBe(TCP_SYN_SENT);
  });
  it("records the previous state on every change", () => {
    const f = fresh();
    pkt(f, ORIG, S);
    pkt(f, RESP, SA);
    pkt(f, ORIG, AF);
    expect<u8>(f.origState).toBe(TCP_CLOSED);
    expect<u8>(f.origPrevState).toBe(TCP_ESTABLISHED);
    expect<u8>(f.respPrevState).toBe(TCP_INACTIVE);
  });
  it("returns true exactly on the packet that completes the close", () => {
    const f = fresh();
    expect<bool>(pkt(f, ORIG, S)).toBe(false);
    expect<bool>(pkt(f, RESP, SA)).toBe(false);
    expect<bool>(pkt(f, ORIG, A)).toBe(false);
    expect<bool>(pkt(f, ORIG, AF)).toBe(false);
    expect<bool>(bothEnded(f)).toBe(false);
    expect<bool>(pkt(f, RESP, AF)).toBe(true);
    expect<bool>(bothEnded(f)).toBe(true);
    f.flags |= FLOW_CLOSED; // the engine marks it; later packets report nothing new
    expect<bool>(pkt(f, ORIG, A)).toBe(false);
  });
  it("a RST completes the close at once", () => {
    const f = fresh();
    pkt(f, ORIG, S);
    expect<bool>(pkt(f, RESP, AR)).toBe(true);
    expect<u8>(f.respState).toBe(TCP_RESET);
  });
});

describe("tcpConnState: every reachable Zeek state", () => {
  it("S0: SYN, no reply", () => {
    const f = fresh();
    pkt(f, ORIG, S);
    expect<string>(history(f)).toBe("S");
    expect<u8>(tcpConnState(f, true)).toBe(CS_S0);
  });
  it("S1: handshake, not terminated", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, SA); pkt(f, ORIG, A); pkt(f, ORIG, AP, true); pkt(f, RESP, A);
    expect<string>(history(f)).toBe("ShADa");
    expect<u8>(tcpConnState(f, false)).toBe(CS_S1);
  });
  it("SF: normal establishment and termination (ShADadFf)", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, SA); pkt(f, ORIG, A); pkt(f, ORIG, AP, true);
    pkt(f, RESP, A); pkt(f, RESP, AP, true); pkt(f, ORIG, AF); pkt(f, RESP, AF); pkt(f, ORIG, A);
    expect<string>(history(f)).toBe("ShADadFf");
    expect<u8>(tcpConnState(f, false)).toBe(CS_SF);
  });
  it("SF also for a midstream flow where both sides FIN (no SYN required)", () => {
    const f = fresh();
    pkt(f, ORIG, AP, true); pkt(f, RESP, A); pkt(f, ORIG, AF); pkt(f, RESP, AF);
    expect<u8>(tcpConnState(f, false)).toBe(CS_SF);
  });
  it("REJ: SYN answered by RST", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, AR);
    expect<string>(history(f)).toBe("Sr");
    expect<u8>(tcpConnState(f, true)).toBe(CS_REJ);
  });
  it("REJ: both sides reset with no payload; RSTR once payload was seen", () => {
    const f = fresh();
    pkt(f, ORIG, R); pkt(f, RESP, R);
    expect<u8>(tcpConnState(f, true)).toBe(CS_REJ);
    expect<u8>(tcpConnState(f, false)).toBe(CS_RSTR);
  });
  it("S2: originator closed, no reply", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, SA); pkt(f, ORIG, A); pkt(f, ORIG, AF);
    expect<string>(history(f)).toBe("ShAF");
    expect<u8>(tcpConnState(f, true)).toBe(CS_S2);
  });
  it("S3: responder closed, no reply", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, SA); pkt(f, ORIG, A); pkt(f, RESP, AF);
    expect<string>(history(f)).toBe("ShAf");
    expect<u8>(tcpConnState(f, true)).toBe(CS_S3);
  });
  it("RSTO: established, originator aborted", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, SA); pkt(f, ORIG, A); pkt(f, ORIG, AR);
    expect<string>(history(f)).toBe("ShAR");
    expect<u8>(tcpConnState(f, true)).toBe(CS_RSTO);
  });
  it("RSTR: established, responder sent a RST", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, SA); pkt(f, ORIG, A); pkt(f, RESP, R);
    expect<string>(history(f)).toBe("ShAr");
    expect<u8>(tcpConnState(f, true)).toBe(CS_RSTR);
  });
  it("RSTOS0: SYN then RST from the originator, no SYN-ACK", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, ORIG, R);
    expect<string>(history(f)).toBe("SR");
    expect<u8>(tcpConnState(f, true)).toBe(CS_RSTOS0);
  });
  it("RSTOS0 with a leading flip marker and responder letters in between (^?S[^HAFGIQ]*R)", () => {
    const f = fresh();
    f.flags |= FLOW_FLIPPED;
    pkt(f, ORIG, S); pkt(f, RESP, AP, true); pkt(f, ORIG, R);
    expect<string>(history(f)).toBe("^SdR");
    expect<u8>(tcpConnState(f, false)).toBe(CS_RSTOS0);
  });
  it("OTH instead of RSTOS0 when the originator's history has no leading S", () => {
    const f = fresh();
    pkt(f, ORIG, A); pkt(f, ORIG, R);
    expect<string>(history(f)).toBe("AR");
    expect<u8>(tcpConnState(f, true)).toBe(CS_OTH);
  });
  it("RSTRH: responder SYN-ACK then RST, no SYN seen", () => {
    const f = fresh();
    f.flags |= FLOW_FLIPPED;
    pkt(f, RESP, SA); pkt(f, RESP, R);
    expect<string>(history(f)).toBe("^hr");
    expect<u8>(tcpConnState(f, true)).toBe(CS_RSTRH);
  });
  it("SH: SYN then FIN from the originator, no SYN-ACK", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, ORIG, F);
    expect<string>(history(f)).toBe("SF");
    expect<u8>(tcpConnState(f, true)).toBe(CS_SH);
  });
  it("SHR: responder SYN-ACK then FIN, no SYN seen", () => {
    const f = fresh();
    pkt(f, RESP, SA); pkt(f, RESP, AF);
    expect<string>(history(f)).toBe("hf");
    expect<u8>(tcpConnState(f, true)).toBe(CS_SHR);
  });
  it("OTH: midstream traffic only", () => {
    const f = fresh();
    pkt(f, ORIG, A); pkt(f, RESP, A);
    expect<string>(history(f)).toBe("Aa");
    expect<u8>(tcpConnState(f, true)).toBe(CS_OTH);
  });
  it("OTH: an originator SYN-ACK with no answer", () => {
    const f = fresh();
    pkt(f, ORIG, SA);
    expect<u8>(tcpConnState(f, true)).toBe(CS_OTH);
  });
  it("FIN followed by RST, then the peer's FIN: normal termination (SF)", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, SA); pkt(f, ORIG, A);
    pkt(f, ORIG, AF); pkt(f, ORIG, R); pkt(f, RESP, AF);
    expect<string>(history(f)).toBe("ShAFRf");
    expect<u8>(f.origState).toBe(TCP_CLOSED);
    expect<u8>(f.respState).toBe(TCP_CLOSED);
    expect<u8>(tcpConnState(f, true)).toBe(CS_SF);
  });
  it("RST after both FINs leaves SF (a closed endpoint ignores RST when the peer closed too)", () => {
    const f = fresh();
    pkt(f, ORIG, S); pkt(f, RESP, SA); pkt(f, ORIG, A); pkt(f, ORIG, AF); pkt(f, RESP, AF); pkt(f, ORIG, R);
    expect<u8>(f.origState).toBe(TCP_CLOSED);
    expect<u8>(tcpConnState(f, true)).toBe(CS_SF);
  });
});

describe("bothEnded", () => {
  it("only when neither side can send more", () => {
    const f = fresh();
    expect<bool>(bothEnded(f)).toBe(false);
    pkt(f, ORIG, S); pkt(f, RESP, SA);
    expect<bool>(bothEnded(f)).toBe(false);
    pkt(f, ORIG, AR);
    expect<bool>(bothEnded(f)).toBe(false); // responder still established
    pkt(f, RESP, R);
    expect<bool>(bothEnded(f)).toBe(true);
  });
});

describe("udpConnState", () => {
  it("SF, S0, SHR, OTH", () => {
    expect<u8>(udpConnState(true, true)).toBe(CS_SF);
    expect<u8>(udpConnState(true, false)).toBe(CS_S0);
    expect<u8>(udpConnState(false, true)).toBe(CS_SHR);
    expect<u8>(udpConnState(false, false)).toBe(CS_OTH);
  });
});

describe("connStateName / connStateDescription", () => {
  it("names all 13 states", () => {
    expect<string>(connStateName(CS_S0)).toBe("S0");
    expect<string>(connStateName(CS_S1)).toBe("S1");
    expect<string>(connStateName(CS_SF)).toBe("SF");
    expect<string>(connStateName(CS_REJ)).toBe("REJ");
    expect<string>(connStateName(CS_S2)).toBe("S2");
    expect<string>(connStateName(CS_S3)).toBe("S3");
    expect<string>(connStateName(CS_RSTO)).toBe("RSTO");
    expect<string>(connStateName(CS_RSTR)).toBe("RSTR");
    expect<string>(connStateName(CS_RSTOS0)).toBe("RSTOS0");
    expect<string>(connStateName(CS_RSTRH)).toBe("RSTRH");
    expect<string>(connStateName(CS_SH)).toBe("SH");
    expect<string>(connStateName(CS_SHR)).toBe("SHR");
    expect<string>(connStateName(CS_OTH)).toBe("OTH");
  });
  it("describes them as Zeek's main.zeek does", () => {
    expect<string>(connStateDescription(CS_S0)).toBe("Connection attempt seen, no reply.");
    expect<string>(connStateDescription(CS_SF)).toBe("Normal establishment and termination.");
    expect<string>(connStateDescription(CS_REJ)).toBe("Connection attempt rejected.");
    expect<string>(connStateDescription(CS_RSTR)).toBe("Responder sent a RST.");
    for (let c: u8 = 0; c <= 12; c++) expect<bool>(connStateDescription(c).length > 10).toBe(true);
  });
});
