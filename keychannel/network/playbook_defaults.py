"""The default playbook texts (one per alignment quadrant, plus the sole-channel variant of 'neither').

Plain data, imported by a data migration and by the demo: the program manager edits the stored copies.
"""

DEFAULT_PLAYBOOKS = [
    {
        "quadrant": "partner",
        "sole_channel": False,
        "title": "Partner: lead with them",
        "approach": (
            "Shares our goals and our methods. Make them a first mover of the key-account program: give them "
            "the first corporate leads in their territory, co-fund a dedicated key-account manager and publish "
            "their first results as best practice for the rest of the network."
        ),
        "actions": (
            "Agree on named key-account targets and a joint pipeline review every month\n"
            "Offer financial support for a dedicated key-account salesperson\n"
            "Invite them to present at the next network workshop"
        ),
    },
    {
        "quadrant": "goals_not_methods",
        "sole_channel": False,
        "title": "Shares goals, not methods: teach the method",
        "approach": (
            "They want large clients but sell the way they always did. Give methodological support and "
            "training: the corporate sales process, buying-centre analysis, the CRM, and a mentor who takes "
            "their salespeople into the first large clients."
        ),
        "actions": (
            "Enrol the sales team in the key-account course\n"
            "Assign a mentor for the first two corporate deals\n"
            "Set up the CRM with them and review its use after one month"
        ),
    },
    {
        "quadrant": "methods_not_goals",
        "sole_channel": False,
        "title": "Shares methods, not goals: make the case",
        "approach": (
            "They work professionally but do not see large clients as their business. Show them the economics: "
            "volumes, margins and service revenue of corporate contracts, with examples from peers. Tie "
            "incentives to the first corporate contract."
        ),
        "actions": (
            "Meet the owner with a business case for their territory\n"
            "Offer an incentive for the first signed corporate contract\n"
            "Share a peer distributor's success story"
        ),
    },
    {
        "quadrant": "neither",
        "sole_channel": False,
        "title": "Shares neither: keep watching, work around",
        "approach": (
            "Neither goals nor methods are shared. Do not invest ahead of them: keep the contract terms clear, "
            "let cautious distributors watch the active ones, and work large clients in their territory "
            "through the competence centre or directly where the rules allow."
        ),
        "actions": (
            "Review the contract at renewal\n"
            "Invite them to a workshop where active distributors show results\n"
            "Route large clients in the territory through a mentor"
        ),
    },
    {
        "quadrant": "neither",
        "sole_channel": True,
        "title": "Shares neither, but the only channel: contract minimums and relationships",
        "approach": (
            "They share neither our goals nor our methods, yet nobody else sells here. Secure contractual "
            "minimums (volumes, key-account coverage, reporting) and compensate the weak alignment with "
            "personal relationships at several levels: our top management with their first person, our "
            "middle managers with theirs."
        ),
        "actions": (
            "Negotiate minimum key-account commitments into the contract\n"
            "Set up a top-to-top meeting within a month\n"
            "Pair a manufacturer middle manager with their sales manager\n"
            "Look for a second channel in the territory (franchise or direct sellers)"
        ),
    },
]
