"""Agent assessments (月度考核): per agent and period, a scorecard of weighted components (QA
quality, resolution rate, customer satisfaction, efficiency) with complaint penalties, grades,
ranks within the team and the period's 服务之星."""
