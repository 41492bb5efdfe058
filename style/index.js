import 'uplot/dist/uPlot.min.css';
import './base.css';
import './serving.css';
import './schedules.css';
import './studio.css';
