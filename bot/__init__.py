"""The conversation: events, state, policy, actions, responses, transcripts and the NLU."""
