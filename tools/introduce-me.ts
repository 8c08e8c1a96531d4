import { z } from "zod";
import { definePrompt, obo } from "../lib/mcp/index.js";
import { readMyProfile } from "./my-profile.js";

const TONES = ["friendly", "formal", "brief"] as const;

/** A prompt built from the signed-in user's own Microsoft 365 profile, read On-Behalf-Of the user. */
export default definePrompt({
  name: "introduce_me",
  title: "Introduce me",
  description: "Drafts a short introduction of you (from your Microsoft 365 profile) for the audience you name.",
  arguments: {
    audience: z.string().min(1).max(200).describe("Who the introduction is for, e.g. 'the new project team'"),
    tone: z.enum(TONES).optional().describe("friendly (default), formal or brief"),
  },
  complete: {
    async tone(value) {
      return TONES.filter((tone) => tone.startsWith(value.toLowerCase()));
    },
  },
  needs: { graph: obo(["https://graph.microsoft.com/User.Read"]) },
  async get({ audience, tone }, { graph }) {
    const me = await readMyProfile(graph);
    const facts = [
      `Name: ${me.displayName ?? me.userPrincipalName ?? "unknown"}`,
      ...(me.jobTitle === null ? [] : [`Job title: ${me.jobTitle}`]),
      ...(me.officeLocation === null ? [] : [`Office: ${me.officeLocation}`]),
      ...(me.mail === null ? [] : [`E-mail: ${me.mail}`]),
    ];
    return {
      description: `An introduction of ${me.displayName ?? "you"} for ${audience}`,
      messages: [
        {
          role: "user",
          content: {
            type: "text",
            text: `Write a ${tone ?? "friendly"} introduction of me for ${audience}, in three sentences at most, using only these facts from my profile:\n${facts.join("\n")}`,
          },
        },
      ],
    };
  },
});
